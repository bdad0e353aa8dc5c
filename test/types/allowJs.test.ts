// A .js schema imported from TypeScript with allowJs gives config.get its types (what the README tells users).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

t.test('a .js schema with allowJs types config.get', async (t) => {
  const dir = tmpdir(t);
  const entry = path.join(ROOT, 'dist', 'index.js');
  fs.writeFileSync(path.join(dir, 'schema.js'), `const { defineSchema } = require(${JSON.stringify(entry)});\nmodule.exports = defineSchema({ SMTP_PORT: { format: 'port', default: 587 }, KEY: { format: 'secret', default: null, sensitive: true } });\n`);
  const app = (body: string) => `import schema = require('./schema');\nimport { typedConfig } from ${JSON.stringify(entry.replace(/\.js$/, ''))};\nconst config = typedConfig<typeof schema>();\n${body}\n`;
  const tsc = (file: string) => spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--allowJs', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--skipLibCheck', file], { cwd: ROOT, encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, 'ok.ts'), app("export const port: number = config.get('SMTP_PORT');"));
  const ok = tsc(path.join(dir, 'ok.ts'));
  t.equal(ok.status, 0, ok.stdout);
  fs.writeFileSync(path.join(dir, 'bad.ts'), app("export const port: string = config.get('SMTP_PORT');\nconfig.get('KEY');"));
  const bad = tsc(path.join(dir, 'bad.ts'));
  t.equal(bad.status, 2);
  t.match(bad.stdout, /bad\.ts\(4,14\): error TS2322/, 'a wrong type');
  t.match(bad.stdout, /bad\.ts\(5,12\): error TS2345/, 'a secret');
});
