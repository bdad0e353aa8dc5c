// A copy of the built package that another user can load: register.js, package.json, dist/ and the runtime
// dependencies (package.json `dependencies`, transitively, as installed in node_modules), in a fresh directory
// under the system temp dir with world-readable modes, removed after the test. Tests that run the preload as
// another uid (setpriv) use it, so they pass wherever the clone is, also in a directory only its owner can enter.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';

const ROOT = path.join(__dirname, '..', '..');

/** Runtime dependency directories (relative to ROOT), found the way node resolves them from each package. */
function runtimeDependencies(): string[] {
  const found = new Set<string>();
  const visit = (from: string, names: string[]) => {
    for (const name of names) {
      // node's lookup: the package's own node_modules, then each parent's.
      let dir = from;
      for (;;) {
        const candidate = path.join(dir, 'node_modules', name);
        if (fs.existsSync(path.join(candidate, 'package.json'))) {
          const rel = path.relative(ROOT, candidate);
          if (!found.has(rel)) {
            found.add(rel);
            const pkg = JSON.parse(fs.readFileSync(path.join(candidate, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
            visit(candidate, [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]);
          }
          break;
        }
        if (path.resolve(dir) === path.resolve(ROOT)) break; // optional and not installed
        dir = path.dirname(dir);
      }
    }
  };
  const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  visit(ROOT, Object.keys(own.dependencies ?? {}));
  return [...found];
}

function openUp(p: string): void {
  const st = fs.lstatSync(p);
  if (st.isSymbolicLink()) return;
  fs.chmodSync(p, st.isDirectory() || st.mode & 0o100 ? 0o755 : 0o644);
  if (st.isDirectory()) for (const e of fs.readdirSync(p)) openUp(path.join(p, e));
}

/** The staged package's root (its register.js is `<root>/register.js`). Build first (`npm run build`). */
export function stagePackage(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-staged-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const f of ['register.js', 'package.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  for (const rel of runtimeDependencies()) fs.cpSync(path.join(ROOT, rel), path.join(dir, rel), { recursive: true, dereference: true });
  openUp(dir);
  return dir;
}
