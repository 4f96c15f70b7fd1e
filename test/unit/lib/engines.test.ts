// The README promises development on a Node version, package.json's engines says which, and
// `npm ci` warns (EBADENGINE) about every installed package that refuses it. These agree.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, test } from 'vitest';
import { repoRoot } from '../../harness/index.ts';

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};
const oldest = semver.minVersion(pkg.engines.node)!;

describe('the Node version developers need', () => {
  test('the README names the oldest Node that package.json accepts', () => {
    expect(read('README.md')).toContain(`Node ${oldest.major}.${oldest.minor} or later`);
  });

  test('no installed package refuses it, so npm ci prints no engine warning', () => {
    const refusing = Object.entries(lock.packages).flatMap(([name, entry]) => {
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return range && !semver.satisfies(oldest, range)
        ? [`${name || 'this package'}: ${range}`]
        : [];
    });
    expect(refusing).toEqual([]);
  });
});
