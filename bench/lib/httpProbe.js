'use strict';
// A `-r` module for benchmark children that counts outgoing HTTP requests in every thread of the process,
// including the preload's provider worker (Node runs `--require` modules in worker threads too).
//
//   BENCH_HTTP_PROBE_FILE=/tmp/x.jsonl node -r ./bench/lib/httpProbe.js -r ./register.js app.js
//
// Appends one JSON line per event to $BENCH_HTTP_PROBE_FILE: the thread's start (`main-start` / `worker-start`),
// each `new Worker` of the main thread (`worker-spawn`: worker_threads.Worker is replaced by a subclass that notes
// the time), each request start (`request`, with the HTTP method) and each response (`response`). Times are
// absolute (performance.timeOrigin + performance.now(), ms since the epoch) so the threads can be compared. It
// records no URL, header or body. Without the variable it does nothing. The synchronous appends cost a few
// microseconds each: use it for untimed runs only.
const file = process.env.BENCH_HTTP_PROBE_FILE;
if (file) {
  const fs = require('node:fs');
  const dc = require('node:diagnostics_channel');
  const { isMainThread, threadId } = require('node:worker_threads');
  const write = (event) => fs.appendFileSync(file, JSON.stringify({ ...event, thread: threadId, at: performance.timeOrigin + performance.now() }) + '\n');
  write({ event: isMainThread ? 'main-start' : 'worker-start', origin: performance.timeOrigin });
  if (isMainThread) {
    // When the preload creates its worker (a thread's performance.timeOrigin is the process's, so the worker
    // cannot tell): a subclass that notes the time; callers reach Worker through the module object.
    const threads = require('node:worker_threads');
    const Base = threads.Worker;
    threads.Worker = class ProbedWorker extends Base {
      constructor(...args) {
        write({ event: 'worker-spawn' });
        super(...args);
      }
    };
  }
  dc.subscribe('http.client.request.start', (message) => write({ event: 'request', method: String(message?.request?.method ?? '') }));
  dc.subscribe('http.client.response.finish', () => write({ event: 'response' }));
}
