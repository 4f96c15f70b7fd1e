// Compiles TypeScript with tsc, then bundles each action's entry with ncc into dist/<name>/.
// ncc cannot compile TypeScript 7 itself, so it bundles the JavaScript tsc wrote to build/.
// Usage: node scripts/build.mjs [--out <dir>] [--only <action>]
//   --out   write bundles there instead of dist/ (check-dist builds into a temp dir)
//   --only  compile and bundle one action (its own tsc program), leaving the others alone
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (flag) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const outRoot = path.resolve(arg('--out') ?? path.join(root, 'dist'));
const only = arg('--only');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

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
