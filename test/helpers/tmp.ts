import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';

/** A fresh temporary directory removed after the test. */
export function tmpdir(t: Test, label = 'vc'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
