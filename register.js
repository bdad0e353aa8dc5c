'use strict';
// node -r @valuecanvas/secrets/register app.js — loads, validates and locks secrets before the app's first line.
// Thin shim: the preload lives in the compiled package (dist/, built by `npm ci` through `prepare`). Worker
// threads inherit -r and NODE_OPTIONS: return before loading anything there.
if (require('node:worker_threads').isMainThread) require('./dist/preload/preload.js').runPreload();
