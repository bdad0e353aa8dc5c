// Broken copies of deploy/kubernetes in temporary directories, edited with exact text replacements that fail
// loudly when the text is not there (so a changed manifest cannot silently turn a test into a no-op).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Test } from 'tap';
import { tmpdir } from '../helpers/tmp';
import { ROOT } from './kustomize';

export const DEPLOY = path.join(ROOT, 'deploy', 'kubernetes');
export const SCHEMA = require(path.join(ROOT, 'examples', 'schema.js')) as Record<string, { default?: unknown }>;

/** A fresh copy of deploy/kubernetes, removed after the test. */
export function copyDeploy(t: Test): string {
  const dir = path.join(tmpdir(t, 'vc-manifests'), 'kubernetes');
  fs.cpSync(DEPLOY, dir, { recursive: true });
  return dir;
}

/** Replace `from` (which must occur exactly `count` times, default once) by `to` in `dir/file`. */
export function edit(dir: string, file: string, from: string | RegExp, to: string, count = 1): void {
  const abs = path.join(dir, file);
  const text = fs.readFileSync(abs, 'utf8');
  const hits = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`)) ?? []).length;
  if (hits !== count) throw new Error(`fixture: expected ${count} occurrence(s) of ${String(from)} in ${file}, found ${hits}`);
  fs.writeFileSync(abs, typeof from === 'string' ? text.split(from).join(to) : text.replace(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`), to));
}
