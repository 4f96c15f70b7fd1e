// Compiles TypeScript with tsc, then bundles each action's entry with ncc into dist/<name>/.
// ncc cannot compile TypeScript 7 itself, so it bundles the JavaScript tsc wrote to build/.
// Usage: node scripts/build.mjs [--out <dir>] [--only <action>] [--if-stale]
//   --out       write bundles there instead of dist/ (check-dist builds into a temp dir)
//   --only      compile and bundle one action (its own tsc program), leaving the others alone
//   --if-stale  build only when the sources differ from those dist/ was built from
//
// A full build records the hash of its sources (scripts/lib/source-hash.mjs) beside the bundles,
// so that `npm run demo` rebuilds only when the committed ones are not the source's.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_HASH_FILE, sourceHash } from './lib/source-hash.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (flag) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const outRoot = path.resolve(arg('--out') ?? path.join(root, 'dist'));
const only = arg('--only');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const HASH_FILE = path.join(outRoot, SOURCE_HASH_FILE);
const hash = sourceHash(root);
if (process.argv.includes('--if-stale')) {
  const recorded = existsSync(HASH_FILE) ? readFileSync(HASH_FILE, 'utf8').trim() : '';
  if (recorded === hash) {
    console.log(`${path.relative(root, outRoot)}/ was built from these sources: using it as it is`);
    process.exit(0);
  }
  console.log(`${path.relative(root, outRoot)}/ was built from other sources: building it`);
}

const actions = readdirSync(path.join(root, 'actions'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(root, 'actions', d.name, 'action.yml')))
  .map((d) => d.name)
  .sort();
if (only && !actions.includes(only))
  throw new Error(`--only ${only}: no actions/${only}/action.yml`);

// One layout for both modes: ncc derives module ids from paths, so an action bundled from
// another directory would differ byte for byte from the full build that check-dist compares.
const buildDir = path.join(root, 'build');
rmSync(only ? path.join(buildDir, 'actions', only) : buildDir, { recursive: true, force: true });
if (only) {
  const tsconfig = path.join(root, `.tsconfig.only-${only}.json`);
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: './tsconfig.build.json',
      files: [`src/actions/${only}/index.ts`],
      include: [],
    }),
  );
  try {
    execFileSync(bin('tsc'), ['-p', tsconfig], { cwd: root, stdio: 'inherit' });
  } finally {
    rmSync(tsconfig, { force: true });
  }
} else {
  execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

for (const name of only ? [only] : actions) {
  const entry = path.join(buildDir, 'actions', name, 'index.js');
  if (!existsSync(entry)) throw new Error(`actions/${name}: no entry src/actions/${name}/index.ts`);
  const out = path.join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  execFileSync(
    bin('ncc'),
    ['build', entry, '-o', out, '--minify', '--license', 'licenses.txt', '--quiet'],
    { cwd: root, stdio: 'inherit' },
  );
  console.log(`built ${path.relative(root, out)}/index.js`);
}
// One action rebuilt leaves the others as they were: only a full build vouches for them all.
if (only) rmSync(HASH_FILE, { force: true });
else writeFileSync(HASH_FILE, `${hash}\n`);
