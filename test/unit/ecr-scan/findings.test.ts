import { describe, expect, test } from 'vitest';
import {
  atOrAbove,
  compareFindings,
  countSeverities,
  type Finding,
  findingIdentity,
  fixText,
  hasFix,
  normalizeBasic,
  normalizeEnhanced,
  uniqueFindings,
} from '../../../src/actions/ecr-scan/findings.ts';
import { finding, response } from './helpers.ts';

describe('normalizing basic findings', () => {
  const findings = response('basic-page-1').imageScanFindings!.findings!;

  test.each([
    [
      0,
      {
        id: 'CVE-2023-38545',
        severity: 'CRITICAL',
        packageName: 'curl',
        packageVersion: '7.88.1-10+deb12u3',
        score: 9.8,
      },
    ],
    [
      1,
      {
        id: 'CVE-2023-5678',
        severity: 'HIGH',
        packageName: 'openssl',
        packageVersion: '3.0.11-1~deb12u1',
        score: 5,
      },
    ],
    [
      2,
      { id: 'CVE-2022-3715', severity: 'MEDIUM', packageName: 'bash', packageVersion: '5.2.15-2' },
    ],
    [
      3,
      {
        id: 'CVE-2011-3374',
        severity: 'INFORMATIONAL',
        packageName: 'apt',
        packageVersion: '2.6.1',
      },
    ],
  ] as const)('finding %i becomes %o', (index, expected) => {
    const normalized = normalizeBasic(findings[index]!);
    expect(normalized).toMatchObject({ ...expected, scanner: 'basic' });
    expect(normalized.fixedInVersion).toBeUndefined();
  });

  test('prefers the CVSS3 score over CVSS2 and keeps the advisory link and description', () => {
    const f = normalizeBasic({
      name: 'CVE-1',
      severity: 'HIGH',
      uri: 'https://example.test/CVE-1',
      description: 'text',
      attributes: [
        { key: 'CVSS2_SCORE', value: '5.0' },
        { key: 'CVSS3_SCORE', value: '7.1' },
        { key: 'package_name', value: 'zlib' },
      ],
    });
    expect(f).toMatchObject({ score: 7.1, url: 'https://example.test/CVE-1', description: 'text' });
  });

  test('a finding without a package name or severity is still counted, as unknown and UNDEFINED', () => {
    expect(normalizeBasic({ name: 'CVE-2', attributes: [] })).toEqual({
      id: 'CVE-2',
      severity: 'UNDEFINED',
      packageName: 'unknown',
      scanner: 'basic',
    });
  });
});

describe('normalizing enhanced findings', () => {
  test('takes id, package, manager, fix, score, link and layer from the Inspector shape', () => {
    const [f] = normalizeEnhanced(
      response('enhanced-page-1').imageScanFindings!.enhancedFindings![0]!,
    );
    expect(f).toEqual({
      id: 'CVE-2024-0727',
      severity: 'MEDIUM',
      packageName: 'openssl',
      packageVersion: '3.0.11-1~deb12u1',
      packageManager: 'OS',
      fixedInVersion: '3.0.13-1~deb12u1',
      score: 5.5,
      title: 'CVE-2024-0727 - openssl',
      description: expect.stringContaining('PKCS12'),
      url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-0727',
      layer: 'sha256:1f3a5c7e9b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a',
      exploitAvailable: false,
      scanner: 'enhanced',
    });
  });

  // Shapes from the API reference's VulnerablePackage: epoch is a number, release and
  // fixedInVersion strings; Inspector writes RPM fixes with an explicit 0: epoch.
  test.each([
    [
      {
        name: 'glibc',
        epoch: 0,
        version: '2.34',
        release: '52.amzn2023.0.6',
        fixedInVersion: '0:2.34-52.amzn2023.0.7',
      },
      '2.34-52.amzn2023.0.6',
      '2.34-52.amzn2023.0.7',
    ],
    [
      {
        name: 'openssl-libs',
        epoch: 1,
        version: '3.0.8',
        release: '1.amzn2023.0.9',
        fixedInVersion: '1:3.0.8-1.amzn2023.0.11',
      },
      '1:3.0.8-1.amzn2023.0.9',
      '1:3.0.8-1.amzn2023.0.11',
    ],
    [
      {
        name: 'openssh-client',
        epoch: 1,
        version: '9.2p1',
        release: '2+deb12u2',
        fixedInVersion: '1:9.2p1-2+deb12u3',
      },
      '1:9.2p1-2+deb12u2',
      '1:9.2p1-2+deb12u3',
    ],
    [{ name: 'semver', epoch: 0, version: '5.7.1', fixedInVersion: '7.5.2' }, '5.7.1', '7.5.2'],
    [
      { name: 'tar', version: '1.34+dfsg', release: '1.2', fixedInVersion: 'NotAvailable' },
      '1.34+dfsg-1.2',
      undefined,
    ],
  ])(
    'installed and fixed versions as the package manager writes them: %o',
    (pkg, installed, fixed) => {
      const [f] = normalizeEnhanced({
        severity: 'HIGH',
        packageVulnerabilityDetails: {
          vulnerabilityId: 'CVE-2023-4911',
          vulnerablePackages: [pkg],
        },
      });
      expect(f!.packageVersion).toBe(installed);
      expect(f!.fixedInVersion).toBe(fixed);
    },
  );

  test("reads Inspector's status and exploitAvailable; an ACTIVE finding carries no status", () => {
    const base = {
      severity: 'HIGH',
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-1',
        vulnerablePackages: [{ name: 'p' }],
      },
    };
    expect(
      normalizeEnhanced({ ...base, status: 'ACTIVE', exploitAvailable: 'YES' })[0],
    ).toMatchObject({
      exploitAvailable: true,
    });
    expect(normalizeEnhanced({ ...base, status: 'ACTIVE' })[0]!.status).toBeUndefined();
    expect(
      normalizeEnhanced({ ...base, status: 'SUPPRESSED', exploitAvailable: 'NO' })[0],
    ).toMatchObject({
      status: 'SUPPRESSED',
      exploitAvailable: false,
    });
    expect(normalizeEnhanced({ ...base, status: 'CLOSED' })[0]!.status).toBe('CLOSED');
    expect(normalizeEnhanced(base)[0]!.exploitAvailable).toBeUndefined();
  });

  test('a finding naming two installed copies of a package becomes two findings', () => {
    const list = normalizeEnhanced(
      response('enhanced-page-2').imageScanFindings!.enhancedFindings![0]!,
    );
    expect(list.map((f) => [f.packageName, f.packageVersion, f.filePath])).toEqual([
      ['semver', '6.3.0', 'app/node_modules/semver/package.json'],
      ['semver', '5.7.1', 'app/node_modules/make-dir/node_modules/semver/package.json'],
    ]);
  });

  test("Inspector's UNTRIAGED becomes UNDEFINED and 'NotAvailable' is no fix", () => {
    const [f] = normalizeEnhanced(
      response('enhanced-page-2').imageScanFindings!.enhancedFindings![1]!,
    );
    expect(f).toMatchObject({ id: 'CVE-2023-45853', severity: 'UNDEFINED', packageName: 'zlib1g' });
    expect(f!.fixedInVersion).toBeUndefined();
  });

  test('a finding without package details still yields one finding named by its title', () => {
    expect(normalizeEnhanced({ title: 'CVE-9', severity: 'LOW' })).toEqual([
      { id: 'CVE-9', severity: 'LOW', packageName: 'unknown', title: 'CVE-9', scanner: 'enhanced' },
    ]);
  });
});

describe('one finding per vulnerability, package and path', () => {
  test('a package at two paths is two findings; the same path twice is one, the most severe', () => {
    const a = finding({
      id: 'CVE-1',
      packageName: 'semver',
      filePath: 'app/node_modules/semver/package.json',
    });
    const b = { ...a, filePath: 'app/node_modules/x/node_modules/semver/package.json' };
    const again = { ...a, severity: 'CRITICAL' as const };
    const { findings, duplicates } = uniqueFindings([a, b, again]);
    expect(findings.map((f) => [f.filePath, f.severity])).toEqual([
      ['app/node_modules/semver/package.json', 'CRITICAL'],
      ['app/node_modules/x/node_modules/semver/package.json', 'HIGH'],
    ]);
    expect(duplicates).toBe(1);
    expect(findingIdentity(a)).not.toBe(findingIdentity(b));
    expect(findingIdentity({ ...a, packageVersion: '9.9.9' })).toBe(findingIdentity(a));
  });

  test('whether a fix is known: yes, no, or unknown under basic scanning', () => {
    expect(hasFix(finding({ fixedInVersion: '1.2' }))).toBe(true);
    expect(hasFix(finding({ fixedInVersion: undefined }))).toBe(false);
    expect(hasFix(finding({ fixedInVersion: undefined, scanner: 'basic' }))).toBeUndefined();
  });
});

describe('severity thresholds', () => {
  test.each([
    ['CRITICAL', 'critical', true],
    ['HIGH', 'critical', false],
    ['HIGH', 'high', true],
    ['MEDIUM', 'high', false],
    ['LOW', 'medium', false],
    ['LOW', 'low', true],
    ['INFORMATIONAL', 'low', false],
    ['INFORMATIONAL', 'informational', true],
    ['UNDEFINED', 'informational', true],
    ['UNDEFINED', 'low', false],
  ] as const)('%s at or above %s: %s', (severity, level, expected) => {
    expect(atOrAbove(severity, level)).toBe(expected);
  });
});

describe('counting', () => {
  test('counts every finding by severity, not the per-page findingSeverityCounts', () => {
    const first = response('basic-page-1').imageScanFindings!;
    const second = response('basic-page-2').imageScanFindings!;
    const all = [...first.findings!, ...second.findings!].map(normalizeBasic);
    expect(countSeverities(all)).toEqual({
      CRITICAL: 1,
      HIGH: 2,
      MEDIUM: 1,
      LOW: 1,
      INFORMATIONAL: 1,
      UNDEFINED: 1,
    });
    expect(first.findingSeverityCounts).toEqual({
      CRITICAL: 1,
      HIGH: 1,
      MEDIUM: 1,
      INFORMATIONAL: 1,
    });
  });

  test('sorts most severe first, then by score', () => {
    const list: Finding[] = [
      finding({ id: 'a', severity: 'LOW', score: 3 }),
      finding({ id: 'b', severity: 'CRITICAL', score: 9.1 }),
      finding({ id: 'c', severity: 'HIGH', score: 7.1 }),
      finding({ id: 'd', severity: 'HIGH', score: 8.8 }),
      finding({ id: 'e', severity: 'UNDEFINED', score: undefined }),
    ];
    expect(list.sort(compareFindings).map((f) => f.id)).toEqual(['b', 'd', 'c', 'a', 'e']);
  });
});

describe('fix text', () => {
  test.each([
    [finding({ fixedInVersion: '3.0.13' }), 'Upgrade openssl from 3.0.11 to 3.0.13 or later.'],
    [
      finding({
        packageName: 'glibc',
        packageVersion: '2.34-52.amzn2023.0.6',
        fixedInVersion: '2.34-52.amzn2023.0.7',
      }),
      'Upgrade glibc from 2.34-52.amzn2023.0.6 to 2.34-52.amzn2023.0.7 or later.',
    ],
    [finding({ fixedInVersion: undefined }), 'No fixed version of openssl is known yet.'],
    [
      finding({ fixedInVersion: undefined, scanner: 'basic' }),
      expect.stringContaining('basic scanning does not report fixed versions'),
    ],
  ])('%#: says what to do', (f, expected) => {
    expect(fixText(f)).toEqual(expected);
  });
});
