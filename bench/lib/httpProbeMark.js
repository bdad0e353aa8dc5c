'use strict';
// Companion of httpProbe.js: `-r ./bench/lib/httpProbe.js -r ./register.js -r ./bench/lib/httpProbeMark.js`
// appends a `mark` line (absolute time, thread id) once the modules before it are loaded; in the preload's
// worker that is the end of loading register.js there. Does nothing without BENCH_HTTP_PROBE_FILE.
const file = process.env.BENCH_HTTP_PROBE_FILE;
if (file) {
  const { threadId } = require('node:worker_threads');
  require('node:fs').appendFileSync(file, JSON.stringify({ event: 'mark', thread: threadId, at: performance.timeOrigin + performance.now() }) + '\n');
}
