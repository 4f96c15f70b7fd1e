// What the bundles in dist/ are made from, as one hash: the source, the compiler settings and the
// locked packages. A full build records it in dist/sources.sha256, so that a cheap look tells
// whether the committed bundles are still the source's (check-dist compares a fresh build byte
// for byte; this only answers "is a rebuild needed").
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const SOURCE_HASH_FILE = 'sources.sha256';

const INPUTS = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
  'scripts/build.mjs',
];

/** sha256 over the path and bytes of every file the build reads, in a fixed order. */
export function sourceHash(root) {
  const walk = (rel) =>
    statSync(path.join(root, rel)).isDirectory()
      ? readdirSync(path.join(root, rel))
          .sort()
          .flatMap((name) => walk(`${rel}/${name}`))
      : [rel];
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(walk)) {
    hash.update(`${file}\0`).update(readFileSync(path.join(root, file)));
  }
  return hash.digest('hex');
}
