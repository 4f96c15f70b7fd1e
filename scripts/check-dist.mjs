// Rebuilds every action into a temp dir and fails when the committed dist/ differs, so the
// bundles the runner executes are always the ones the source produces.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fresh = mkdtempSync(path.join(tmpdir(), 'check-dist-'));

function files(dir, base = dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full, base) : [path.relative(base, full)];
  });
}

try {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--out', fresh], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const committed = path.join(root, 'dist');
  const names = new Set([...files(fresh), ...files(committed)]);
  const differing = [...names].sort().filter((name) => {
    const a = path.join(fresh, name);
    const b = path.join(committed, name);
    return !existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b));
  });
  if (differing.length > 0) {
    console.error(
      `dist/ is out of date (${differing.join(', ')}): run 'npm run build' and commit dist/`,
    );
    process.exit(1);
  }
  console.log(`dist/ matches a fresh build (${names.size} files)`);
} finally {
  rmSync(fresh, { recursive: true, force: true });
}
