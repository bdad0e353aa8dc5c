'use strict';
// node:test has no `expect`: a three-matcher adapter over node:assert.
const assert = require('node:assert/strict');
const { test } = require('node:test');

const expect = (actual) => ({
  toBe: (expected) => assert.equal(actual, expected),
  toEqual: (expected) => assert.deepEqual(actual, expected),
  toThrow: (re) => assert.throws(actual, re),
});
require('./appCases.js')({ test, expect });
