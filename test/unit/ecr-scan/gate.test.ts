import { describe, expect, test } from 'vitest';
import type { Finding } from '../../../src/actions/ecr-scan/findings.ts';
import {
  failureMessage,
  type GateRule,
  gateLines,
  judge,
} from '../../../src/actions/ecr-scan/gate.ts';
import { finding } from './helpers.ts';

const image = { repository: 'web', tag: 'pr-12' };
const all: GateRule = { failOn: 'high', fixable: false, exploitable: false, scope: 'all' };

const fixedExploited = finding({
  id: 'CVE-2023-4911',
  packageName: 'glibc',
  severity: 'HIGH',
  fixedInVersion: '2.34-52.amzn2023.0.7',
  exploitAvailable: true,
});
const fixedOnly = finding({
  id: 'CVE-2024-0727',
  packageName: 'openssl-libs',
  severity: 'CRITICAL',
  fixedInVersion: '1:3.0.8-1.amzn2023.0.11',
  exploitAvailable: false,
});
const noFix = finding({
  id: 'CVE-2023-45853',
  packageName: 'zlib',
  severity: 'CRITICAL',
  fixedInVersion: undefined,
  exploitAvailable: true,
});
const low = finding({ id: 'CVE-2022-3219', packageName: 'gnupg2', severity: 'LOW' });
const basic = finding({
  id: 'CVE-2024-45490',
  packageName: 'expat',
  severity: 'CRITICAL',
  fixedInVersion: undefined,
  exploitAvailable: undefined,
  scanner: 'basic',
});
const findings = [fixedExploited, fixedOnly, noFix, low];

const ids = (list: readonly Finding[]) => list.map((f) => f.id);

describe('the gate', () => {
  test('fail-on alone counts every finding at or above the level', () => {
    const gate = judge({ rule: all, repository: 'web', findings });
    expect(ids(gate.failing)).toEqual(['CVE-2023-45853', 'CVE-2024-0727', 'CVE-2023-4911']);
    expect(gate.steps).toEqual([{ label: 'at or above HIGH', input: 'fail-on: high', left: 3 }]);
  });

  test('fail-on-fixable counts only findings with a fixed version', () => {
    const gate = judge({ rule: { ...all, fixable: true }, repository: 'web', findings });
    expect(ids(gate.failing)).toEqual(['CVE-2024-0727', 'CVE-2023-4911']);
    expect(gate.steps.at(-1)).toEqual({
      label: 'with a fix',
      input: 'fail-on-fixable: true',
      left: 2,
    });
  });

  test('fail-on-exploitable counts only findings with a known exploit', () => {
    const gate = judge({ rule: { ...all, exploitable: true }, repository: 'web', findings });
    expect(ids(gate.failing)).toEqual(['CVE-2023-45853', 'CVE-2023-4911']);
  });

  test('fixable and exploitable together leave what has both', () => {
    const gate = judge({
      rule: { ...all, fixable: true, exploitable: true },
      repository: 'web',
      findings,
    });
    expect(ids(gate.failing)).toEqual(['CVE-2023-4911']);
    expect(gate.steps.map((s) => s.left)).toEqual([3, 2, 1]);
  });

  test('basic findings, which say nothing of fixes or exploits, are counted, and the count says so', () => {
    const gate = judge({
      rule: { ...all, fixable: true, exploitable: true },
      repository: 'web',
      findings: [basic, fixedOnly],
    });
    expect(ids(gate.failing)).toEqual(['CVE-2024-45490']);
    expect(gate.unknownFix).toBe(1);
    expect(gate.unknownExploit).toBe(1);
    expect(gateLines(gate, { ignored: 0, suppressed: 0 }).join('\n')).toContain(
      '1 counted by `fail-on-fixable` because basic scanning does not report fixed versions',
    );
  });

  test('fail-on-scope new counts only findings the base image does not have', () => {
    const base = {
      image: { repository: 'web', tag: '1234567' },
      findings: [{ ...noFix, packageVersion: 'older' }, fixedOnly],
    };
    const gate = judge({ rule: { ...all, scope: 'new' }, repository: 'web', findings, base });
    expect(ids(gate.failing)).toEqual(['CVE-2023-4911']);
    expect(gate.base).toEqual(base.image);
    expect(gate.steps.at(-1)).toEqual({
      label: 'not in the base image `web:1234567`',
      input: 'fail-on-scope: new',
      left: 1,
    });
  });

  test('fail-on-scope new without a base image counts every finding and says why', () => {
    const gate = judge({ rule: { ...all, scope: 'new' }, repository: 'web', findings });
    expect(gate.failing).toHaveLength(3);
    expect(gate.noBase).toBe(true);
    expect(gateLines(gate, { ignored: 0, suppressed: 0 }).join('\n')).toContain(
      'found no scanned base image to compare with, so every finding counted',
    );
  });

  test('fail-on none never fails', () => {
    const gate = judge({ rule: { ...all, failOn: 'none' }, repository: 'web', findings });
    expect(gate.failing).toEqual([]);
    expect(gateLines(gate, { ignored: 0, suppressed: 0 })).toEqual([
      'The step does not fail on findings (`fail-on: none`).',
    ]);
  });
});

describe('what the gate says', () => {
  test('the summary names the rule applied and what each input left', () => {
    const base = { image: { repository: 'web', tag: 'main' }, findings: [fixedOnly] };
    const gate = judge({
      rule: { failOn: 'high', fixable: true, exploitable: false, scope: 'new' },
      repository: 'web',
      findings,
      base,
    });
    expect(gateLines(gate, { ignored: 2, suppressed: 3 })).toEqual([
      '❌ **1 finding at or above HIGH, with a fix, not in the base image `web:main`** fails the gate.',
      '',
      'Rule: `fail-on: high, fail-on-fixable: true, fail-on-scope: new` — 3 at or above HIGH (`fail-on: high`) → 2 with a fix (`fail-on-fixable: true`) → 1 not in the base image `web:main` (`fail-on-scope: new`).',
      '',
      '- never counted: 2 ignored by the ignore file, 3 suppressed or closed in Amazon Inspector',
    ]);
  });

  test('a passing gate says so with the same rule', () => {
    const gate = judge({
      rule: { ...all, failOn: 'critical', fixable: true },
      repository: 'web',
      findings: [noFix],
    });
    expect(gateLines(gate, { ignored: 0, suppressed: 0 })[0]).toBe(
      '✅ **The gate passes**: no finding at or above CRITICAL, with a fix.',
    );
  });

  test('the failure line names the rule as inputs and the first ids', () => {
    const gate = judge({ rule: { ...all, exploitable: true }, repository: 'web', findings });
    expect(failureMessage(gate, image)).toBe(
      '2 findings at or above HIGH, with a known exploit in web:pr-12 (fail-on: high, fail-on-exploitable: true): CVE-2023-45853, CVE-2023-4911. Fix them or add them to the ignore file with a reason and an expiry date.',
    );
  });

  test('with only fail-on, the failure line reads as before', () => {
    const gate = judge({ rule: { ...all, failOn: 'critical' }, repository: 'web', findings });
    expect(failureMessage(gate, image)).toMatch(
      /^2 findings at or above CRITICAL in web:pr-12 \(fail-on: critical\): CVE-2023-45853, CVE-2024-0727\./,
    );
  });
});
