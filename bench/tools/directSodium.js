'use strict';
// What-if shim for bench/tools/startupBreakdown.js (not for production): load sodium-native's prebuilt binding
// directly and seed require's cache with it, skipping the require-addon resolver that `require('sodium-native')`
// runs. The exports are the same object (sodium-native's index.js is `module.exports = require.addon(...)`).
const Module = require('node:module');

const file = require.resolve('sodium-native');
const m = new Module(file, module);
m.filename = file;
m.exports = require(`sodium-native/prebuilds/${process.platform}-${process.arch}/sodium-native.node`);
m.loaded = true;
Module._cache[file] = m;
