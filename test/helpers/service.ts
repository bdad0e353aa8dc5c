// Spawn an app under the real preload (`node -r ./register.js`) and talk to it through JSON lines on stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Test } from 'tap';

export const ROOT = path.join(__dirname, '..', '..');
export const REGISTER = path.join(ROOT, 'register.js');
export const PROBE = path.join(ROOT, 'test', 'fixtures', 'probe.js');

export interface Service {
  child: ChildProcess;
  /** Every JSON line printed so far. */
  events: Record<string, unknown>[];
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the next event matching `pred` (or rejects after `ms`). */
  waitFor: (pred: (e: Record<string, unknown>) => boolean, ms?: number) => Promise<Record<string, unknown>>;
  send: (command: Record<string, unknown>) => void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `bare`: run the script without the preload (e.g. a SecretsService app). */
export function startService(t: Test, env: Record<string, string>, options: { script?: string; args?: string[]; viaNodeOptions?: boolean; bare?: boolean } = {}): Service {
  const script = options.script ?? PROBE;
  const base: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SECRETS_LOG_LEVEL: 'info' };
  const args = options.viaNodeOptions || options.bare ? [script, ...(options.args ?? [])] : ['-r', REGISTER, script, ...(options.args ?? [])];
  const fullEnv = { ...base, ...env, ...(options.viaNodeOptions ? { NODE_OPTIONS: `--require=${REGISTER}` } : {}) };
  const child = spawn(process.execPath, args, { env: fullEnv, stdio: ['pipe', 'pipe', 'pipe'], cwd: ROOT });
  let out = '';
  let err = '';
  const events: Record<string, unknown>[] = [];
  const waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    events,
    stdout: () => out,
    stderr: () => err,
    exited,
    send: (command) => child.stdin!.write(JSON.stringify(command) + '\n'),
    waitFor: (pred, ms = 5000) =>
      new Promise((resolve, reject) => {
        const found = events.find(pred);
        if (found) return resolve(found);
        const timer = setTimeout(() => reject(new Error(`timed out waiting; events so far: ${events.map((e) => `${String(e.event)}${e.reason ? `(${String(e.reason).slice(0, 80)})` : ''}`).join(', ')}; stderr tail: ${err.slice(-600)}`)), ms);
        waiters.push({
          pred,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      }),
  };
}

/** Run an app under the preload to completion. */
export async function runOnce(t: Test, env: Record<string, string>, options: { script?: string; viaNodeOptions?: boolean } = {}) {
  const s = startService(t, env, options);
  s.child.stdin!.end();
  const { code, signal } = await s.exited;
  return { code, signal, stdout: s.stdout(), stderr: s.stderr(), events: s.events };
}

/** Write a schema module of String secrets (and extra properties) into `dir`. */
export function writeSchema(dir: string, props: Record<string, string>): string {
  const file = path.join(dir, 'schema.js');
  const body = Object.entries(props)
    .map(([name, def]) => `  ${JSON.stringify(name)}: ${def},`)
    .join('\n');
  fs.writeFileSync(file, `module.exports = {\n${body}\n};\n`);
  return file;
}

export const REQUIRED = "{ format: String, default: null, sensitive: true }";
