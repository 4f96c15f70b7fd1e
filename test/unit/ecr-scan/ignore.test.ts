import { describe, expect, test } from 'vitest';
import { applyIgnores, isExpired, parseIgnoreFile } from '../../../src/actions/ecr-scan/ignore.ts';
import { finding } from './helpers.ts';

const parse = (text: string) => parseIgnoreFile('ignore-file', text, 'ignore.yml');

describe('parsing the ignore file', () => {
  test('accepts a plain list and a mapping with an ignore: list', () => {
    const entry = { id: 'CVE-1', reason: 'not reachable', expires: '2030-01-31' };
    expect(parse('- id: CVE-1\n  reason: not reachable\n  expires: 2030-01-31\n')).toEqual([entry]);
    expect(
      parse('ignore:\n  - id: CVE-1\n    reason: not reachable\n    expires: "2030-01-31"\n'),
    ).toEqual([entry]);
  });

  test('an empty file ignores nothing', () => {
    expect(parse('')).toEqual([]);
    expect(parse('# nothing accepted yet\n')).toEqual([]);
  });

  test.each([
    ['- CVE-1\n', 'entry 1: expected a mapping'],
    ['- reason: x\n  expires: 2030-01-01\n', "entry 1: 'id' is required"],
    ['- id: CVE-1\n  expires: 2030-01-01\n', "entry 1: (CVE-1) 'reason' is required"],
    ['- id: CVE-1\n  reason: x\n', "entry 1: (CVE-1) 'expires' is required"],
    [
      '- id: CVE-1\n  reason: x\n  expires: 31/01/2030\n',
      "'expires' must be a date YYYY-MM-DD, got '31/01/2030'",
    ],
    ['- id: CVE-1\n  reason: x\n  expires: 2030-02-30\n', "got '2030-02-30'"],
    ['- id: CVE-1\n  reason: x\n  expires: 2030-01-01\n  packge: curl\n', "unknown key 'packge'"],
    ['rules: []\n', "expected a list of entries or a mapping with 'ignore:'"],
    ['- id: [unclosed\n', 'ignore.yml: invalid JSON/YAML at line'],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });
});

describe('applying ignores', () => {
  const now = new Date('2025-06-15T12:00:00Z');

  test('an entry applies through the last day of its date, and not after', () => {
    const entry = { id: 'CVE-1', reason: 'x', expires: '2025-06-15' };
    expect(isExpired(entry, new Date('2025-06-15T23:59:59Z'))).toBe(false);
    expect(isExpired(entry, new Date('2025-06-16T00:00:00Z'))).toBe(true);
  });

  test('matches by id in any package, or by id and package', () => {
    const curl = finding({ id: 'CVE-1', packageName: 'curl' });
    const libcurl = finding({ id: 'CVE-1', packageName: 'libcurl4' });
    const other = finding({ id: 'CVE-2', packageName: 'curl' });
    const result = applyIgnores(
      [curl, libcurl, other],
      [{ id: 'cve-1', package: 'libcurl4', reason: 'build only', expires: '2030-01-01' }],
      now,
    );
    expect(result.ignored.map((i) => i.finding)).toEqual([libcurl]);
    expect(result.kept).toEqual([curl, other]);

    const any = applyIgnores(
      [curl, libcurl, other],
      [{ id: 'CVE-1', reason: 'accepted', expires: '2030-01-01' }],
      now,
    );
    expect(any.kept).toEqual([other]);
  });

  test('expired entries do not apply and are reported; live ones matching nothing are reported', () => {
    const f = finding({ id: 'CVE-1' });
    const expired = { id: 'CVE-1', reason: 'was fine', expires: '2025-01-01' };
    const stale = { id: 'CVE-404', reason: 'long fixed', expires: '2030-01-01' };
    const result = applyIgnores([f], [expired, stale], now);
    expect(result.kept).toEqual([f]);
    expect(result.ignored).toEqual([]);
    expect(result.expired).toEqual([expired]);
    expect(result.unmatched).toEqual([stale]);
  });
});
