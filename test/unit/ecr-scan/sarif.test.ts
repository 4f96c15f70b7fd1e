import { describe, expect, test } from 'vitest';
import {
  buildSarif,
  lastFromLine,
  sarifFingerprint,
  securitySeverity,
} from '../../../src/actions/ecr-scan/sarif.ts';
import { findingKey } from '../../../src/actions/ecr-scan/tickets.ts';
import { finding, sarifValidator } from './helpers.ts';

describe("the Dockerfile's FROM line", () => {
  test.each([
    ['FROM node:20\nRUN npm ci\n', 1],
    [
      '# syntax=docker/dockerfile:1\nFROM node:20 AS build\nRUN npm ci\n\nfrom gcr.io/distroless/nodejs20 AS run\nCOPY --from=build /app /app\n',
      5,
    ],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile variable, not JavaScript
    ['ARG BASE=node:20\nFROM --platform=$BUILDPLATFORM ${BASE}\n', 2],
    ['FROM a AS one\nRUN echo \\\n  FROM b\nRUN true\n', 1],
    ['FROM a\nRUN apt-get install \\\n# a comment inside the continuation\n  curl\nFROM b\n', 5],
    ['# escape=`\nFROM a\nRUN echo `\n  FROM x\n', 2],
    ['RUN true\n', undefined],
  ])('%j → line %s', (text, line) => {
    expect(lastFromLine(text)).toBe(line);
  });
});

describe('security-severity', () => {
  test.each([
    ['CRITICAL', 9.8, '9.8'],
    ['CRITICAL', undefined, '9.5'],
    ['CRITICAL', 5, '9.5'],
    ['HIGH', 7.5, '7.5'],
    ['HIGH', 9.1, '8.0'],
    ['MEDIUM', 5.5, '5.5'],
    ['MEDIUM', undefined, '5.5'],
    ['LOW', 2.1, '2.1'],
    ['INFORMATIONAL', 3, '0.0'],
    ['UNDEFINED', undefined, '0.0'],
  ] as const)('%s with score %s → "%s"', (severity, score, expected) => {
    expect(securitySeverity(severity, score)).toBe(expected);
  });
});

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  locations: { physicalLocation: unknown; message: { text: string }; logicalLocations?: unknown }[];
  properties: Record<string, unknown>;
  partialFingerprints: Record<string, string>;
  suppressions?: unknown[];
}

interface SarifLog {
  runs: {
    tool: {
      driver: {
        rules: {
          id: string;
          helpUri?: string;
          help: { text: string; markdown: string };
          properties: Record<string, string>;
        }[];
      };
    };
    results: SarifResult[];
    automationDetails: { id: string };
  }[];
}

describe('the SARIF log', () => {
  const image = { repository: 'team/web', tag: 'v3', digest: `sha256:${'f'.repeat(64)}` };
  const semverA = finding({
    id: 'CVE-2022-25883',
    packageName: 'semver',
    packageVersion: '6.3.0',
    fixedInVersion: '7.5.2',
    severity: 'HIGH',
    filePath: 'app/node_modules/semver/package.json',
  });
  const semverB = {
    ...semverA,
    packageVersion: '5.7.1',
    filePath: 'app/node_modules/make-dir/node_modules/semver/package.json',
  };
  const curl = finding({
    id: 'CVE-2023-38545',
    packageName: 'curl',
    severity: 'CRITICAL',
    score: 9.8,
    url: 'https://security-tracker.debian.org/tracker/CVE-2023-38545',
    scanner: 'basic',
    fixedInVersion: undefined,
  });
  const tar = finding({
    id: 'CVE-2005-2541',
    packageName: 'tar',
    severity: 'UNDEFINED',
    score: undefined,
    url: undefined,
    description: undefined,
  });
  const log = buildSarif({
    image,
    findings: [semverA, semverB, curl],
    ignored: [
      {
        finding: tar,
        entry: { id: 'CVE-2005-2541', reason: 'tar is not used at runtime', expires: '2030-01-01' },
      },
    ],
    suppressed: [finding({ id: 'CVE-2023-2953', packageName: 'openldap', status: 'SUPPRESSED' })],
    dockerfile: { uri: 'services/web/Dockerfile', line: 7 },
  }) as unknown as SarifLog;
  const run = log.runs[0]!;

  test('is valid against the official SARIF 2.1.0 schema', () => {
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  test('has one rule per vulnerability id, most severe first, with a numeric security-severity and help with the fix', () => {
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([
      'CVE-2023-38545',
      'CVE-2022-25883',
      'CVE-2023-2953',
      'CVE-2005-2541',
    ]);
    const [curlRule, semverRule] = run.tool.driver.rules;
    expect(curlRule!.properties['security-severity']).toBe('9.8');
    expect(semverRule!.properties['security-severity']).toBe('7.5');
    expect(semverRule!.help.text).toContain('Upgrade semver');
    expect(semverRule!.help.markdown).toContain('**Fix:**');
    expect(curlRule!.helpUri).toBe('https://security-tracker.debian.org/tracker/CVE-2023-38545');
  });

  test('puts every result at the FROM line of the Dockerfile, with a fingerprint unique in the run', () => {
    expect(run.results).toHaveLength(5);
    for (const result of run.results) {
      expect(result.locations[0]!.physicalLocation).toEqual({
        artifactLocation: { uri: 'services/web/Dockerfile' },
        region: { startLine: 7 },
      });
      expect(result.partialFingerprints['ecrScanFinding/v1']).toMatch(/^[a-f0-9]{64}$/);
      expect(run.tool.driver.rules[result.ruleIndex]!.id).toBe(result.ruleId);
    }
    const fingerprints = run.results.map((r) => r.partialFingerprints['ecrScanFinding/v1']);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
  });

  test('a package at two paths is two results, each naming its path in the image', () => {
    const semver = run.results.filter((r) => r.ruleId === 'CVE-2022-25883');
    expect(semver.map((r) => r.locations[0]!.message.text)).toEqual([
      'semver 5.7.1 at app/node_modules/make-dir/node_modules/semver/package.json in image team/web:v3',
      'semver 6.3.0 at app/node_modules/semver/package.json in image team/web:v3',
    ]);
    expect(semver[1]!.locations[0]!.logicalLocations).toEqual([
      {
        name: 'semver',
        fullyQualifiedName: 'app/node_modules/semver/package.json',
        kind: 'module',
      },
    ]);
    expect(semver[1]!.properties).toMatchObject({
      filePath: 'app/node_modules/semver/package.json',
    });
  });

  test('fingerprints stay the same across rebuilds and upgrades that do not fix the finding', () => {
    const rebuilt = { repository: 'team/web', tag: 'v4', digest: `sha256:${'1'.repeat(64)}` };
    const upgraded = { ...semverA, packageVersion: '6.3.1' };
    expect(sarifFingerprint(rebuilt.repository, upgraded)).toBe(
      sarifFingerprint(image.repository, semverA),
    );
    // A finding without a path keeps the fingerprint earlier versions gave it.
    expect(sarifFingerprint('team/web', curl)).toBe(findingKey('team/web', curl));
  });

  test('a finding suppressed in Amazon Inspector is a suppressed result saying so', () => {
    const ldap = run.results.find((r) => r.ruleId === 'CVE-2023-2953')!;
    expect(ldap.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'suppressed by a suppression rule in Amazon Inspector',
      },
    ]);
  });

  test('ignored findings are reported as suppressed with the reason', () => {
    const suppressed = run.results.filter((r) => r.ruleId === 'CVE-2005-2541');
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]!.suppressions![0]).toEqual({
      kind: 'external',
      status: 'accepted',
      justification: 'tar is not used at runtime (until 2030-01-01)',
    });
  });

  test('uses the repository as the code scanning category', () => {
    expect(run.automationDetails.id).toBe('ecr/team/web/');
  });

  test('a log that breaks the schema is caught by the validator', () => {
    const validate = sarifValidator();
    const broken = structuredClone(log);
    broken.runs[0]!.results[0]!.level = 'critical';
    expect(validate(broken)).toBe(false);
  });
});
