'use strict';
// Small statistics helpers for benchmark modules.

/** Sorted copy of the finite numbers in `xs`. */
function sorted(xs) {
  return xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

/** The q-quantile (0..1) with linear interpolation between closest ranks; NaN for an empty list. */
function quantile(xs, q) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

const median = (xs) => quantile(xs, 0.5);
const p99 = (xs) => quantile(xs, 0.99);
const min = (xs) => sorted(xs)[0] ?? NaN;
const max = (xs) => sorted(xs).at(-1) ?? NaN;

/** Fisher-Yates shuffle in place (used to interleave variants in a random order per round). */
function shuffle(xs) {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

module.exports = { quantile, median, p99, min, max, shuffle };
