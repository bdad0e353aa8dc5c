'use strict';
// JSON-lines reader for a child's stdout: `next(pred, timeoutMs)` resolves with the first line (parsed) that
// matches, in arrival order, or undefined on timeout. Lines that are not JSON are ignored.
const readline = require('node:readline');

function jsonLines(stream) {
  const queue = [];
  let waiter;
  readline.createInterface({ input: stream }).on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    queue.push(value);
    if (waiter) waiter();
  });
  async function next(pred = () => true, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = queue.findIndex(pred);
      if (i >= 0) return queue.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        waiter = () => {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        };
      });
    }
  }
  /** Drop every line received so far. */
  const clear = () => queue.splice(0);
  return { next, clear };
}

module.exports = { jsonLines };
