// The example Dockerfile: linted with hadolint (scripts/lint-dockerfile.sh), plus the structure the docs promise.
// No image is built here (no container engine): image.test.ts runs the same entrypoint against the same layout.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { tmpdir } from '../helpers/tmp';
import { ROOT } from './kustomize';

const LINT = path.join(ROOT, 'scripts', 'lint-dockerfile.sh');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const lint = (...files: string[]) => spawnSync('bash', [LINT, ...files], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });

t.test('hadolint finds nothing in the Dockerfile', { timeout: 300_000 }, async (t) => {
  const run = lint();
  t.equal(run.status, 0, `hadolint findings:\n${run.stdout}${run.stderr}`);
  t.match(run.stdout, /hadolint 2\.\d+\.\d+: no findings in Dockerfile/);
});

t.test('the linter is real: a bad Dockerfile fails with its findings (positive control)', { timeout: 300_000 }, async (t) => {
  const dir = tmpdir(t, 'vc-docker');
  const bad = path.join(dir, 'Dockerfile');
  fs.writeFileSync(bad, 'FROM node:latest\nRUN npm install\nUSER root\nCMD node server.js\n');
  const run = lint(bad);
  t.equal(run.status, 1);
  for (const rule of ['DL3007', 'DL3002', 'DL3025']) t.match(run.stdout, rule);
});

t.test('structure: multi-stage, npm ci, production dependencies only, non-root, the preload in the entrypoint', async (t) => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  t.equal(stages.length, 3, 'build, deps, runtime');
  t.match(stages[0], /^node:20[^\n]* AS build\n/);
  t.match(stages[0], /RUN npm ci\b/);
  t.match(stages[0], /RUN npm run build/);
  t.match(stages[1], /RUN npm ci --omit=dev/);
  const runtime = stages[2]!;
  t.notMatch(runtime, /npm (ci|install)/, 'no install in the final stage');
  t.match(runtime, /COPY --from=deps \/app\/node_modules/, 'production node_modules from the deps stage');
  t.notMatch(runtime, /COPY --from=build \/src\/node_modules/, 'never the dev node_modules');
  const users = [...runtime.matchAll(/^USER (\S+)/gm)].map((m) => m[1]!);
  t.ok(users.length > 0 && /^[1-9]\d*(:[1-9]\d*)?$/.test(users.at(-1)!), `final USER numeric and not root: ${users.at(-1)}`);
  t.match(runtime, /^ENTRYPOINT \["node", "--require", "@valuecanvas\/secrets\/register"\]$/m);
  t.match(runtime, /^CMD \["examples\/service\.js"\]$/m);
});

t.test('.dockerignore lets through exactly what the Dockerfile copies', async (t) => {
  const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  t.equal(ignore[0], '*', 'an allowlist: everything else (secrets, .peers, node_modules) stays out');
  const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => m[1]!.split(/\s+/).slice(0, -1)).map((s) => s.replace(/\/$/, ''));
  t.same([...new Set(copied)].sort(), [...allowed].sort());
  for (const file of copied) t.ok(fs.existsSync(path.join(ROOT, file)), `${file} exists`);
});
