import path from 'node:path';
import { type AwsOptions, readAwsOptions } from '../../lib/aws.ts';
import { runnerContext } from '../../lib/context.ts';
import { InputError } from '../../lib/errors.ts';
import { type ImageRef, isImageRef, parseImageRef } from '../../lib/image-ref.ts';
import {
  type InputSource,
  optional,
  parseBoolean,
  parseChoice,
  parseInteger,
  parseLines,
  parseSize,
  required,
} from '../../lib/inputs.ts';
import { INPUT } from './names.ts';
import { type Platform, parsePlatform, runnerPlatform } from './platform.ts';
import type { ImageRequest } from './pull.ts';

export const OUTPUT_MODES = ['oci', 'docker', 'none'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export interface LayerCacheInputs {
  images: ImageRequest[];
  platform: Platform;
  cacheDir: string;
  actionsCache: boolean;
  output: OutputMode;
  ociDir: string;
  credentials?: { username: string; password: string };
  concurrency: number;
  maxSize: number;
  aws: AwsOptions;
}

function parseImages(raw: string): ImageRequest[] {
  const lines = parseLines(required(INPUT.images, raw));
  const seen = new Set<string>();
  const images: ImageRequest[] = [];
  for (const text of lines) {
    if (seen.has(text)) continue;
    seen.add(text);
    const parsed = parseImageRef(text);
    if (!isImageRef(parsed)) throw new InputError(INPUT.images, `'${text}': ${parsed.error}`);
    if (parsed.digest && !/^sha256:[a-f0-9]{64}$/.test(parsed.digest)) {
      throw new InputError(INPUT.images, `'${text}': only sha256 digests are supported`);
    }
    const ref: ImageRef = parsed.tag || parsed.digest ? parsed : { ...parsed, tag: 'latest' };
    images.push({ text, ref });
  }
  return images;
}

/** The inputs from `source`; defaults (platform, directories) from the runner's environment. */
export function getInputs(
  source: InputSource,
  env: NodeJS.ProcessEnv = process.env,
): LayerCacheInputs {
  const { tempDir } = runnerContext(env);
  const images = parseImages(source(INPUT.images));
  const platformText = source(INPUT.platform);
  const platform = platformText === '' ? runnerPlatform(env) : parsePlatform(platformText);
  if (!platform) {
    throw new InputError(
      INPUT.platform,
      `must be os/architecture[/variant] like linux/amd64, got '${platformText}'`,
    );
  }
  const cacheDir =
    optional(source(INPUT.cacheDir)) ??
    path.join(
      env.RUNNER_TOOL_CACHE || path.join(tempDir, 'tool-cache'),
      'fargate-delivery',
      'blobs',
    );
  const actionsCache = parseBoolean(
    INPUT.actionsCache,
    source(INPUT.actionsCache),
    env.RUNNER_ENVIRONMENT === 'github-hosted',
  );
  const output = parseChoice(INPUT.output, source(INPUT.output), OUTPUT_MODES, 'oci');
  const ociDir = optional(source(INPUT.ociDir)) ?? path.join(tempDir, 'fargate-delivery', 'oci');
  const username = source(INPUT.registryUsername);
  const password = source(INPUT.registryPassword);
  if ((username === '') !== (password === '')) {
    const missing = username === '' ? INPUT.registryUsername : INPUT.registryPassword;
    throw new InputError(
      missing,
      `is required when ${missing === INPUT.registryUsername ? INPUT.registryPassword : INPUT.registryUsername} is set`,
    );
  }
  const inputs: LayerCacheInputs = {
    images,
    platform,
    cacheDir: path.resolve(cacheDir),
    actionsCache,
    output,
    ociDir: path.resolve(ociDir),
    concurrency: parseInteger(INPUT.concurrency, source(INPUT.concurrency), {
      min: 1,
      max: 64,
      fallback: 8,
    }),
    maxSize: parseSize(INPUT.maxSize, source(INPUT.maxSize), '10GB'),
    aws: readAwsOptions(source),
  };
  if (username !== '') inputs.credentials = { username, password };
  return inputs;
}
