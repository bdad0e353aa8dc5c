import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Payload } from './AtomicWriter';

/**
 * Writes a mount the way the AWS Secrets Store CSI provider does by default: each file on its own through a temp
 * file and a rename, no `..data`, no consistency across files. For tests and fixtures.
 *
 * @example
 * ```ts
 * new PerFileWriter('/tmp/mount').write({ DB_PASSWORD: 'hunter2' });
 * ```
 */
export class PerFileWriter {
  readonly dir: string;
  readonly #mode: number;

  constructor(dir: string, options: { fileMode?: number } = {}) {
    this.dir = dir;
    this.#mode = options.fileMode ?? 0o644;
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Write each file (temp + rename); returns the names actually rewritten (identical bytes are skipped). */
  write(payload: Payload): string[] {
    const written: string[] = [];
    for (const [name, content] of Object.entries(payload)) {
      const file = path.join(this.dir, name);
      try {
        if (Buffer.from(content).equals(fs.readFileSync(file))) continue;
      } catch {
        // new file
      }
      const tmp = path.join(this.dir, `.${name}.tmp${process.pid}`);
      fs.writeFileSync(tmp, content, { mode: this.#mode });
      fs.renameSync(tmp, file);
      written.push(name);
    }
    return written;
  }
}
