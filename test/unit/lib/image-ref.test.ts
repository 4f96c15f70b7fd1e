import { describe, expect, test } from 'vitest';
import { ecrRegistry, formatImageRef, parseImageRef } from '../../../src/lib/image-ref.ts';

describe('image references', () => {
  test.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['acme/web:v1', { registry: 'docker.io', repository: 'acme/web', tag: 'v1' }],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1.2.3',
      {
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        repository: 'team/web',
        tag: 'v1.2.3',
      },
    ],
    ['127.0.0.1:5000/web:latest', { registry: '127.0.0.1:5000', repository: 'web', tag: 'latest' }],
    ['localhost/web', { registry: 'localhost', repository: 'web' }],
    [
      `web@sha256:${'a'.repeat(64)}`,
      { registry: 'docker.io', repository: 'library/web', digest: `sha256:${'a'.repeat(64)}` },
    ],
    [
      `ghcr.io/acme/web:v1@sha256:${'b'.repeat(64)}`,
      {
        registry: 'ghcr.io',
        repository: 'acme/web',
        tag: 'v1',
        digest: `sha256:${'b'.repeat(64)}`,
      },
    ],
  ])('%s', (text, expected) => {
    expect(parseImageRef(text)).toEqual(expected);
  });
  test.each([
    ['', 'an image reference has no spaces and is not empty'],
    ['web app', 'an image reference has no spaces and is not empty'],
    ['Web:v1', "invalid repository name 'Web' (lowercase letters, digits, . _ - and /)"],
    ['web:v1!', "invalid tag 'v1!'"],
    ['web@sha256:short', "invalid digest 'sha256:short'"],
  ])('%j is refused: %s', (text, error) => {
    expect(parseImageRef(text)).toEqual({ error });
  });
  test('ECR hosts give the account and region', () => {
    expect(ecrRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com')).toEqual({
      accountId: '123456789012',
      region: 'us-east-1',
    });
    expect(ecrRegistry('127.0.0.1:5000')).toBeUndefined();
  });
  test('formatting gives back what the user would write', () => {
    for (const text of [
      'nginx:1.27',
      '127.0.0.1:5000/web:latest',
      `ghcr.io/a/b@sha256:${'c'.repeat(64)}`,
    ]) {
      const ref = parseImageRef(text);
      if ('error' in ref) throw new Error(ref.error);
      expect(formatImageRef(ref)).toBe(text);
    }
  });
});
