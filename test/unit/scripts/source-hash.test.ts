// `npm run demo` uses the committed bundles when the hash of the sources they were built from is
// the hash of the sources now, and builds only otherwise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { sourceHash } from '../../../scripts/lib/source-hash.mjs';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  root = mkdtempSync(path.join(tmpdir(), 'source-hash-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const base = {
  'src/actions/deploy/main.ts': 'export const a = 1;\n',
  'src/lib/aws.ts': 'export const b = 2;\n',
  'tsconfig.json': '{}',
  'tsconfig.build.json': '{}',
  'package-lock.json': '{"lockfileVersion":3}',
  'scripts/build.mjs': '// build\n',
};

test('changes with a source file, the lockfile or a new file, and with nothing else', () => {
  const dir = tree({ ...base, 'README.md': 'docs\n', 'test/x.test.ts': 'test\n' });
  const before = sourceHash(dir);
  expect(before).toMatch(/^[0-9a-f]{64}$/);

  writeFileSync(path.join(dir, 'README.md'), 'other docs\n');
  writeFileSync(path.join(dir, 'test/x.test.ts'), 'other test\n');
  expect(sourceHash(dir)).toBe(before);

  writeFileSync(path.join(dir, 'src/lib/aws.ts'), 'export const b = 3;\n');
  const edited = sourceHash(dir);
  expect(edited).not.toBe(before);

  writeFileSync(path.join(dir, 'package-lock.json'), '{"lockfileVersion":3,"x":1}');
  const relocked = sourceHash(dir);
  expect(relocked).not.toBe(edited);

  writeFileSync(path.join(dir, 'src/lib/new.ts'), '');
  expect(sourceHash(dir)).not.toBe(relocked);
});

test('tells a renamed file from the same bytes under another name', () => {
  const a = sourceHash(tree(base));
  rmSync(root, { recursive: true, force: true });
  const { 'src/lib/aws.ts': aws, ...rest } = base;
  expect(sourceHash(tree({ ...rest, 'src/lib/aws2.ts': aws }))).not.toBe(a);
});
