import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getInputs } from '../../../src/actions/layer-cache/inputs.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';

const runner = {
  RUNNER_TEMP: '/runner/temp',
  RUNNER_TOOL_CACHE: '/runner/tool-cache',
  RUNNER_ARCH: 'ARM64',
  RUNNER_OS: 'Linux',
  RUNNER_ENVIRONMENT: 'github-hosted',
};

const read = (values: Record<string, string>, env: NodeJS.ProcessEnv = runner) =>
  getInputs(mapInputs(values), env);

describe('layer-cache inputs', () => {
  it('defaults: the runner platform, stores under the tool cache and temp, Actions cache on hosted runners', () => {
    const inputs = read({ images: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:v1' });
    expect(inputs).toMatchObject({
      platform: { os: 'linux', architecture: 'arm64' },
      cacheDir: path.resolve('/runner/tool-cache/fargate-delivery/blobs'),
      ociDir: path.resolve('/runner/temp/fargate-delivery/oci'),
      actionsCache: true,
      output: 'oci',
      concurrency: 8,
      maxSize: 10e9,
    });
    expect(inputs.images[0]!.ref).toEqual({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'web',
      tag: 'v1',
    });
  });

  it('the Actions cache is off by default on self-hosted runners', () => {
    expect(
      read({ images: 'web:v1' }, { ...runner, RUNNER_ENVIRONMENT: 'self-hosted' }).actionsCache,
    ).toBe(false);
  });

  it('reads one image per line, skipping blanks, comments and repeats; an untagged image is latest', () => {
    const inputs = read({
      images: `
        127.0.0.1:5000/app:v1
        # the sidecar
        127.0.0.1:5000/app:v1
        ghcr.io/acme/proxy
        web@sha256:${'a'.repeat(64)}
      `,
    });
    expect(inputs.images.map((i) => i.text)).toEqual([
      '127.0.0.1:5000/app:v1',
      'ghcr.io/acme/proxy',
      `web@sha256:${'a'.repeat(64)}`,
    ]);
    expect(inputs.images[1]!.ref.tag).toBe('latest');
    expect(inputs.images[2]!.ref.tag).toBeUndefined();
  });

  it.each([
    [{}, 'images: is required'],
    [{ images: 'Web:v1' }, "images: 'Web:v1': invalid repository name"],
    [
      { images: 'web:v1', platform: 'amd64' },
      "platform: must be os/architecture[/variant] like linux/amd64, got 'amd64'",
    ],
    [{ images: 'web:v1', output: 'tar' }, "output: must be one of oci, docker, none, got 'tar'"],
    [{ images: 'web:v1', concurrency: '0' }, 'concurrency: must be between 1 and 64, got 0'],
    [
      { images: 'web:v1', 'max-size': 'lots' },
      "max-size: must be a size like 300MB, 10GB or 512MiB, got 'lots'",
    ],
    [
      { images: 'web:v1', 'registry-username': 'ci' },
      'registry-password: is required when registry-username is set',
    ],
    [
      { images: 'web:v1', 'actions-cache': 'yes' },
      "actions-cache: must be true or false, got 'yes'",
    ],
    [
      { images: 'web:v1', 'aws-max-attempts': '0' },
      'aws-max-attempts: must be a whole number from 1 to 20',
    ],
  ])('%o is refused: %s', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });

  it('takes the platform, sizes and credentials as given', () => {
    const inputs = read({
      images: 'web:v1',
      platform: 'linux/arm/v7',
      'max-size': '512MiB',
      'registry-username': 'ci',
      'registry-password': 'secret',
      output: 'none',
    });
    expect(inputs.platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(inputs.maxSize).toBe(512 * 1024 ** 2);
    expect(inputs.credentials).toEqual({ username: 'ci', password: 'secret' });
    expect(inputs.output).toBe('none');
  });
});
