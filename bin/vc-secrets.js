#!/usr/bin/env node
'use strict';
// vc-secrets: the operator CLI of @valuecanvas/secrets (compiled to dist/ by `npm ci`).
require('../dist/cli/main.js')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
