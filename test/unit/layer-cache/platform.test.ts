import { describe, expect, it } from 'vitest';
import {
  type IndexEntry,
  parsePlatform,
  pickPlatform,
  runnerPlatform,
} from '../../../src/actions/layer-cache/platform.ts';

const entry = (
  platform: string,
  digest: string,
  annotations?: Record<string, string>,
): IndexEntry => {
  const [os, architecture, variant] = platform.split('/') as [string, string, string?];
  return {
    digest,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
    ...(annotations ? { annotations } : {}),
  };
};

const index: IndexEntry[] = [
  entry('unknown/unknown', 'att-amd64', { 'vnd.docker.reference.type': 'attestation-manifest' }),
  entry('linux/amd64', 'amd64'),
  entry('linux/arm64/v8', 'arm64'),
  entry('linux/arm/v7', 'armv7'),
  entry('linux/arm/v6', 'armv6'),
];

describe('picking a platform from an index', () => {
  it.each([
    ['linux/amd64', 'amd64'],
    ['linux/arm64', 'arm64'],
    ['linux/arm64/v8', 'arm64'],
    ['linux/arm/v6', 'armv6'],
    ['linux/arm', 'armv7'],
  ])('%s picks the %s manifest', (wanted, digest) => {
    expect(pickPlatform(index, parsePlatform(wanted)!).entry?.digest).toBe(digest);
  });

  it('never picks an attestation, even when it is listed first', () => {
    const onlyAttestation = [entry('unknown/unknown', 'att')];
    expect(
      pickPlatform(onlyAttestation, { os: 'unknown', architecture: 'unknown' }).entry,
    ).toBeUndefined();
  });

  it('lists the platforms that are available when the wanted one is not', () => {
    const pick = pickPlatform(index, parsePlatform('linux/s390x')!);
    expect(pick.entry).toBeUndefined();
    expect(pick).toEqual({
      available: ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/arm/v6'],
    });
  });
});

describe("the runner's platform", () => {
  it.each([
    [{ RUNNER_ARCH: 'X64', RUNNER_OS: 'Linux' }, 'linux', 'amd64'],
    [{ RUNNER_ARCH: 'ARM64', RUNNER_OS: 'Linux' }, 'linux', 'arm64'],
    [{ RUNNER_ARCH: 'X64', RUNNER_OS: 'Windows' }, 'windows', 'amd64'],
    [{ RUNNER_ARCH: 'ARM64', RUNNER_OS: 'macOS' }, 'linux', 'arm64'],
  ])('%o is %s/%s', (env, os, architecture) => {
    expect(runnerPlatform(env)).toEqual({ os, architecture });
  });

  it("falls back to Node's architecture outside a runner", () => {
    expect(runnerPlatform({}, 'x64')).toEqual({ os: expect.any(String), architecture: 'amd64' });
    expect(runnerPlatform({}, 'arm64').architecture).toBe('arm64');
  });
});

describe('platform text', () => {
  it('reads os/architecture/variant and refuses anything else', () => {
    expect(parsePlatform('linux/arm/v7')).toEqual({
      os: 'linux',
      architecture: 'arm',
      variant: 'v7',
    });
    expect(parsePlatform('amd64')).toBeUndefined();
    expect(parsePlatform('linux/amd64/v2/x')).toBeUndefined();
  });
});
