// Fails the test command when line coverage of src/ drops below the floor (tap is told not to demand 100%).
const fs = require('node:fs');
const floor = Number(process.argv[2] ?? 90);
const file = '.tap/report/coverage-summary.json';
if (!fs.existsSync(file)) {
  process.stderr.write(`coverage: ${file} missing; run tap with the json-summary report\n`);
  process.exit(1);
}
const pct = JSON.parse(fs.readFileSync(file, 'utf8')).total.lines.pct;
process.stdout.write(`coverage: src/ lines ${pct}% (floor ${floor}%)\n`);
process.exit(pct >= floor ? 0 : 1);
