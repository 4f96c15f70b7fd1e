import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { getInputs } from '../../../src/actions/ecr-scan/inputs.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';

const workspace = mkdtempSync(path.join(tmpdir(), 'ecr-scan-inputs-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const base = { repository: 'web', 'image-tag': 'v1', 'github-token': 'token' };

function read(values: Record<string, string>, event = 'push') {
  return getInputs(mapInputs({ ...base, ...values }), workspace, event);
}

describe('ecr-scan inputs', () => {
  test('the defaults are the ones the issue names', () => {
    const inputs = read({});
    expect(inputs).toMatchObject({
      repository: 'web',
      imageId: { imageTag: 'v1' },
      waitTimeoutMs: 600_000,
      settleMs: 60_000,
      startScan: true,
      failOn: 'critical',
      failOnFixable: false,
      failOnExploitable: false,
      failOnScope: 'all',
      ignoreFile: '.github/ecr-scan-ignore.yml',
      ignores: [],
      tickets: false,
      ticketSeverity: 'high',
      ticketLabels: ['security', 'ecr-scan'],
      maxNewTickets: 20,
      closeFixed: true,
      prComment: 'auto',
      dockerfile: 'Dockerfile',
    });
    expect(inputs.sarifFile).toBeUndefined();
  });

  test('a digest instead of a tag, a registry id and a SARIF path resolved in the workspace', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const inputs = getInputs(
      mapInputs({
        repository: 'team/web',
        'image-digest': digest,
        'registry-id': '123456789012',
        'sarif-file': 'out/ecr.sarif',
      }),
      workspace,
    );
    expect(inputs.imageId).toEqual({ imageDigest: digest });
    expect(inputs.registryId).toBe('123456789012');
    expect(inputs.sarifFile).toBe(path.join(workspace, 'out/ecr.sarif'));
  });

  test.each([
    [{ repository: '' }, 'repository: is required'],
    [
      { repository: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web' },
      "repository: give the repository name, not its URI: 'web'",
    ],
    [{ repository: 'Web' }, "repository: 'Web' is not an ECR repository name"],
    [{ 'image-tag': '' }, 'image-tag or image-digest: one of these inputs is required'],
    [
      { 'image-digest': `sha256:${'b'.repeat(64)}` },
      'image-tag, image-digest: give only one of image-tag or image-digest',
    ],
    [
      { 'image-tag': '', 'image-digest': 'sha256:abc' },
      'image-digest: must look like sha256:<64 hex digits>',
    ],
    [{ 'registry-id': '12345' }, 'registry-id: must be a 12-digit AWS account id'],
    [{ 'wait-timeout': '10' }, 'wait-timeout: must be a duration'],
    [
      { 'fail-on': 'severe' },
      'fail-on: must be one of none, critical, high, medium, low, informational',
    ],
    [
      { 'ticket-severity': 'none' },
      'ticket-severity: must be one of critical, high, medium, low, informational',
    ],
    [{ 'max-new-tickets': '-1' }, 'max-new-tickets: must be between 0 and 1000'],
    [{ tickets: 'yes' }, "tickets: must be true or false, got 'yes'"],
    [{ 'pr-comment': 'always' }, 'pr-comment: must be one of auto, true, false'],
    [{ 'ticket-labels': ' , ' }, 'ticket-labels: needs at least one label'],
    [{ 'ignore-file': 'security/ignore.yml' }, 'ignore-file: file not found: security/ignore.yml'],
    [
      { tickets: 'true', 'github-token': '' },
      'github-token: is required for tickets and PR comments',
    ],
    [{ 'aws-max-attempts': '0' }, 'aws-max-attempts: must be a whole number from 1 to 20'],
    [{ settle: '60' }, "settle: must be a duration like 60s or 2m, or 0 to turn it off, got '60'"],
    [{ settle: 'soon' }, 'settle: must be a duration like 60s or 2m, or 0 to turn it off'],
    [{ 'fail-on-fixable': 'yes' }, "fail-on-fixable: must be true or false, got 'yes'"],
    [{ 'fail-on-exploitable': '1' }, "fail-on-exploitable: must be true or false, got '1'"],
    [{ 'fail-on-scope': 'changed' }, 'fail-on-scope: must be one of all, new'],
  ])('%o is refused with "%s"', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });

  test('settle takes a duration or 0; the gate narrowing inputs take their values', () => {
    expect(read({ settle: '0' }).settleMs).toBe(0);
    expect(read({ settle: '2m' }).settleMs).toBe(120_000);
    expect(
      read({ 'fail-on-fixable': 'true', 'fail-on-exploitable': 'true', 'fail-on-scope': 'new' }),
    ).toMatchObject({ failOnFixable: true, failOnExploitable: true, failOnScope: 'new' });
  });

  test('a token is needed on pull requests when pr-comment is auto, and not on pushes', () => {
    expect(() => read({ 'github-token': '' }, 'pull_request')).toThrow('github-token: is required');
    expect(read({ 'github-token': '' }, 'push').githubToken).toBe('');
  });

  test('labels are split on commas and newlines, trimmed and deduplicated', () => {
    expect(read({ 'ticket-labels': 'security, ecr-scan\nsecurity\n' }).ticketLabels).toEqual([
      'security',
      'ecr-scan',
    ]);
  });

  test('the ignore file is read and validated before anything else happens', () => {
    mkdirSync(path.join(workspace, '.github'), { recursive: true });
    writeFileSync(
      path.join(workspace, '.github', 'ecr-scan-ignore.yml'),
      '- id: CVE-2023-38545\n  package: curl\n  reason: not reachable, curl is only used at build time\n  expires: 2099-01-31\n',
    );
    expect(read({}).ignores).toEqual([
      {
        id: 'CVE-2023-38545',
        package: 'curl',
        reason: 'not reachable, curl is only used at build time',
        expires: '2099-01-31',
      },
    ]);
    writeFileSync(
      path.join(workspace, 'bad.yml'),
      '- id: CVE-1\n  reason: x\n  expire: 2099-01-01\n',
    );
    expect(() => read({ 'ignore-file': 'bad.yml' })).toThrow(
      "ignore-file: entry 1: unknown key 'expire'",
    );
  });
});
