// Writes the inputs and outputs tables of each actions/<name>/README.md from its action.yml,
// between the markers <!-- inputs:start --> … <!-- inputs:end --> and <!-- outputs:start --> …
// <!-- outputs:end -->. With --check, changes nothing and fails when a README is out of date.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const cell = (text) =>
  String(text ?? '')
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|');

function inputsTable(inputs) {
  const rows = Object.entries(inputs ?? {}).map(([name, spec]) => {
    const def =
      spec.default === undefined || spec.default === '' ? '' : `\`${cell(spec.default)}\``;
    return `| \`${name}\` | ${spec.required ? 'yes' : 'no'} | ${def} | ${cell(spec.description)} |`;
  });
  return [
    '| input | required | default | description |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function outputsTable(outputs) {
  const rows = Object.entries(outputs ?? {}).map(
    ([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`,
  );
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

function replaceBlock(text, marker, body, file) {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file}: missing ${start} … ${end} markers`);
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

const stale = [];
for (const entry of readdirSync(path.join(root, 'actions'), { withFileTypes: true })) {
  const dir = path.join(root, 'actions', entry.name);
  if (!entry.isDirectory() || !existsSync(path.join(dir, 'action.yml'))) continue;
  const meta = parse(readFileSync(path.join(dir, 'action.yml'), 'utf8'));
  const readmePath = path.join(dir, 'README.md');
  const rel = path.relative(root, readmePath);
  if (!existsSync(readmePath)) {
    stale.push(`${rel} (missing)`);
    continue;
  }
  const before = readFileSync(readmePath, 'utf8');
  let after;
  try {
    after = replaceBlock(before, 'inputs', inputsTable(meta.inputs), rel);
    after = replaceBlock(after, 'outputs', outputsTable(meta.outputs), rel);
  } catch (err) {
    stale.push(err.message);
    continue;
  }
  if (after !== before) {
    if (check) stale.push(rel);
    else writeFileSync(readmePath, after);
  }
}
if (stale.length > 0) {
  console.error(`action docs out of date: ${stale.join(', ')}; run 'npm run docs'`);
  process.exit(1);
}
console.log(check ? 'action docs match action.yml' : 'action docs written');
