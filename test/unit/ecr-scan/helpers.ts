// Shared by the ecr-scan unit tests: fixtures in the DescribeImageScanFindings response shape
// (as the wire sends them, timestamps in epoch seconds) turned into what the SDK returns.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DescribeImageScanFindingsResponse } from '@aws-sdk/client-ecr';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { Finding } from '../../../src/actions/ecr-scan/findings.ts';
import { repoRoot } from '../../harness/index.ts';

export const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'ecr-scan');

function revive(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => revive(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v, k)]));
  }
  if (typeof value === 'number' && key.endsWith('At')) return new Date(value * 1000);
  return value;
}

export function response(name: string): DescribeImageScanFindingsResponse {
  const text = readFileSync(path.join(fixtureDir, 'responses', `${name}.json`), 'utf8');
  return revive(JSON.parse(text)) as DescribeImageScanFindingsResponse;
}

/**
 * A one-page DescribeImageScanFindings answer holding a sandbox findings fixture
 * (test/sandbox/fixtures/findings), as the SDK returns it.
 */
export function sandboxResponse(
  name: string,
  imageId: { imageTag?: string; imageDigest?: string } = { imageTag: 'v1.4.0' },
  status = 'ACTIVE',
): DescribeImageScanFindingsResponse {
  const file = path.join(repoRoot, 'test', 'sandbox', 'fixtures', 'findings', name);
  const body = JSON.parse(readFileSync(file, 'utf8'));
  return revive({
    registryId: '123456789012',
    repositoryName: 'web',
    imageId: { imageDigest: `sha256:${'7'.repeat(64)}`, ...imageId },
    imageScanStatus: { status },
    imageScanFindings: { imageScanCompletedAt: 1717200000, ...body },
  }) as DescribeImageScanFindingsResponse;
}

export function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: 'CVE-2024-0001',
    severity: 'HIGH',
    packageName: 'openssl',
    packageVersion: '3.0.11',
    fixedInVersion: '3.0.13',
    score: 7.5,
    description: 'A flaw in openssl.',
    url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-0001',
    scanner: 'enhanced',
    ...overrides,
  };
}

/**
 * The official SARIF 2.1.0 schema (vendored as data) is draft-04: its `id` becomes `$id` for
 * Ajv, which validates draft-07; none of its keywords differ between the two drafts.
 */
export function sarifValidator() {
  const schema = JSON.parse(readFileSync(path.join(fixtureDir, 'sarif-schema-2.1.0.json'), 'utf8'));
  const { $schema: _draft, id, ...rest } = schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile({ $id: id, ...rest });
}
