import { createRequire } from 'node:module';
import { expect, test } from 'vitest';

createRequire(import.meta.url)('./appCases.js')({ test, expect });
