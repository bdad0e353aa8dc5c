'use strict';
/* global test, expect */
require('./appCases.js')({ test, expect });
