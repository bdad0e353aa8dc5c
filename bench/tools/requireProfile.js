'use strict';
// Where does start-up time go? A --require hook that times every require() (inclusive, with nesting) and
// prints the tree of the costly ones to stderr at exit. Load it BEFORE the preload:
//
//   SECRETS_SOURCE=file:///mnt SECRETS_SCHEMA=./schema.js \
//     node -r ./bench/tools/requireProfile.js -r ./register.js bench/fixtures/firstLine.js
//
// Env: REQUIRE_PROFILE_MIN_MS (default 0.5) hides cheaper requires; REQUIRE_PROFILE_DEPTH (default 4).
// Times include the hook's own small overhead; use them to rank, and whole-process runs to measure.
const Module = require('node:module');
const path = require('node:path');

const minMs = Number(process.env.REQUIRE_PROFILE_MIN_MS ?? 0.5);
const maxDepth = Number(process.env.REQUIRE_PROFILE_DEPTH ?? 4);
const root = { name: '(root)', ms: 0, children: [] };
let current = root;
const origLoad = Module._load;

Module._load = function timedLoad(request, parent, isMain) {
  const node = { name: request, ms: 0, children: [], cached: false };
  try {
    const resolved = Module._resolveFilename(request, parent, isMain);
    node.cached = Boolean(Module._cache[resolved]);
    if (!request.startsWith('node:') && path.isAbsolute(resolved)) node.file = resolved;
  } catch {
    // resolution errors surface from the real load below
  }
  const outer = current;
  outer.children.push(node);
  current = node;
  const t0 = process.hrtime.bigint();
  try {
    return origLoad.apply(this, arguments);
  } finally {
    node.ms = Number(process.hrtime.bigint() - t0) / 1e6;
    current = outer;
  }
};

const short = (f) => (f ? f.replace(/.*node_modules\//, '').replace(path.join(__dirname, '..', '..') + path.sep, './') : '');

process.on('exit', () => {
  const lines = [`require profile (inclusive ms, >= ${minMs} ms, depth <= ${maxDepth}); first line at ${globalThis.performance.now().toFixed(1)} ms since start`];
  const walk = (node, depth) => {
    for (const c of node.children) {
      if (c.ms < minMs || c.cached) continue;
      const self = c.ms - c.children.reduce((s, x) => s + x.ms, 0);
      lines.push(`${'  '.repeat(depth)}${c.ms.toFixed(1).padStart(6)} ms  (self ${self.toFixed(1)})  ${c.name}${c.file && c.name !== short(c.file) ? `  -> ${short(c.file)}` : ''}`);
      if (depth + 1 < maxDepth) walk(c, depth + 1);
    }
  };
  walk(root, 0);
  process.stderr.write(lines.join('\n') + '\n');
});
