import { formatDuration } from '../../lib/inputs.ts';
import type { OutputMode } from './inputs.ts';
import { formatPlatform } from './platform.ts';
import type { BlobOutcome, PulledImage, PullTotals } from './pull.ts';
import type { EvictionResult } from './store.ts';

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function short(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

function sum(blobs: readonly BlobOutcome[]): number {
  return blobs.reduce((n, b) => n + b.size, 0);
}

/** One line for the log: what came from where for one image. */
export function imageLine(image: PulledImage): string {
  const layerDigests = new Set(image.layers.map((l) => l.digest));
  const layers = image.blobs.filter((b) => layerDigests.has(b.digest));
  const count = (source: BlobOutcome['source']) => layers.filter((b) => b.source === source).length;
  const fromRegistry = image.blobs.filter((b) => b.source === 'registry');
  return (
    `${image.image} ${short(image.digest)}${image.platform ? ` ${formatPlatform(image.platform)}` : ''}: ` +
    `${layers.length} layers (${count('store')} store, ${count('actions-cache')} Actions cache, ` +
    `${count('registry')} registry), ${formatBytes(sum(fromRegistry))} from the registry, ` +
    `${formatDuration(image.durationMs)}`
  );
}

export interface SummaryInput {
  images: readonly PulledImage[];
  totals: PullTotals;
  output: OutputMode;
  ociDir: string;
  eviction: EvictionResult;
  maxSize: number;
  actionsCache: 'on' | 'off' | 'unavailable';
}

/** The job summary: per image, layers and bytes by source and the time it took. */
export function renderSummary(input: SummaryInput): string {
  const { images, totals } = input;
  const rows = images.map((image) => {
    const layerDigests = new Set(image.layers.map((l) => l.digest));
    const layers = image.blobs.filter((b) => layerDigests.has(b.digest));
    const count = (source: BlobOutcome['source']) =>
      layers.filter((b) => b.source === source).length;
    const cached = image.blobs.filter((b) => b.source !== 'registry');
    const fetched = image.blobs.filter((b) => b.source === 'registry');
    const change = image.previousDigest ? ` (was \`${short(image.previousDigest)}\`)` : '';
    return (
      `| \`${image.image}\` | \`${short(image.digest)}\`${change} | ` +
      `${image.platform ? formatPlatform(image.platform) : 'single-platform'} | ` +
      `${count('store')} / ${count('actions-cache')} / ${count('registry')} | ` +
      `${formatBytes(sum(cached))} | ${formatBytes(sum(fetched))} | ${formatDuration(image.durationMs)} |`
    );
  });
  const where =
    input.output === 'oci'
      ? `OCI layout written to \`${input.ociDir}\` (\`tar -cC <dir> . | docker load\` loads it)`
      : input.output === 'docker'
        ? 'loaded into Docker'
        : 'cache warmed only (output: none)';
  const { eviction } = input;
  const storeLine =
    `Local store: ${formatBytes(eviction.totalBytes)} of ${formatBytes(input.maxSize)}` +
    (eviction.removed > 0
      ? `, ${eviction.removed} least recently used blobs evicted (${formatBytes(eviction.freedBytes)})`
      : '') +
    (eviction.keptBytes > input.maxSize ? ' — this run alone needs more than max-size' : '') +
    `. Actions cache: ${input.actionsCache}.`;
  return [
    '### Layer cache',
    '',
    '| Image | Digest | Platform | Layers: store / Actions cache / registry | From cache | From registry | Time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `**Cache hit: ${totals.cacheHit}.** ${totals.layersTotal} distinct layers: ` +
      `${totals.layersFromCache} from cache, ${totals.layersFromRegistry} from the registry; ` +
      `${formatBytes(totals.bytesFromCache)} from cache, ${formatBytes(totals.bytesFromRegistry)} from the registry.`,
    '',
    `${where}. ${storeLine}`,
    '',
  ].join('\n');
}
