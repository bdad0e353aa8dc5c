'use strict';
// npm pack hooks. The repository keeps `prepare` (so `npm ci` in a clone builds dist/), but an installed package
// must not carry it: npm 11 warns about every install script that no allowScripts entry covers, and dist/ is
// already in the tarball. `strip` (prepack) removes it from package.json and keeps the original beside it;
// `restore` (postpack) puts the original back.
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[3] ? path.resolve(process.argv[3]) : process.cwd();
const file = path.join(dir, 'package.json');
const backup = path.join(dir, '.package.json.prepack');

if (process.argv[2] === 'strip') {
  const text = fs.readFileSync(file, 'utf8');
  const manifest = JSON.parse(text);
  if (!manifest.scripts || !manifest.scripts.prepare) process.exit(0);
  fs.writeFileSync(backup, text);
  delete manifest.scripts.prepare;
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
} else if (process.argv[2] === 'restore') {
  if (fs.existsSync(backup)) fs.renameSync(backup, file);
} else {
  process.stderr.write('usage: node scripts/packManifest.js strip|restore [dir]\n');
  process.exit(2);
}
