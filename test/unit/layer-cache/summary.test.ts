import { describe, expect, it } from 'vitest';
import type { PulledImage } from '../../../src/actions/layer-cache/pull.ts';
import { totals } from '../../../src/actions/layer-cache/pull.ts';
import { formatBytes, renderSummary } from '../../../src/actions/layer-cache/summary.ts';
import { type ImageRef, parseImageRef } from '../../../src/lib/image-ref.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;

function image(
  text: string,
  blobs: Array<[string, number, 'store' | 'actions-cache' | 'registry']>,
): PulledImage {
  const [config, ...layers] = blobs.map(([c, size]) => ({ mediaType: '', digest: d(c), size }));
  return {
    image: text,
    ref: parseImageRef(text) as ImageRef,
    digest: d('f'),
    manifest: { mediaType: '', digest: d('e'), size: 100 },
    platform: { os: 'linux', architecture: 'amd64' },
    config: config!,
    layers,
    blobs: blobs.map(([c, size, source]) => ({ digest: d(c), size, source })),
    durationMs: 1500,
  };
}

describe('the job summary', () => {
  const web = image('127.0.0.1:5000/web:v2', [
    ['1', 1000, 'registry'],
    ['2', 50_000_000, 'store'],
    ['3', 20_000_000, 'actions-cache'],
    ['4', 5_000_000, 'registry'],
  ]);
  web.previousDigest = d('a');
  const worker = image('127.0.0.1:5000/worker:v2', [
    ['5', 900, 'store'],
    ['2', 50_000_000, 'store'],
  ]);

  it('shows per image the layers by source, bytes by source, time, and a moved tag', () => {
    const text = renderSummary({
      images: [web, worker],
      totals: totals([web, worker]),
      output: 'oci',
      ociDir: '/tmp/oci',
      eviction: {
        removed: 2,
        freedBytes: 3_000_000,
        totalBytes: 80_000_000,
        keptBytes: 75_000_000,
      },
      maxSize: 10e9,
      actionsCache: 'on',
    });
    expect(text).toContain(
      '| `127.0.0.1:5000/web:v2` | `sha256:ffffffffffff` (was `sha256:aaaaaaaaaaaa`) | linux/amd64 | 1 / 1 / 1 | 70.0 MB | 5.00 MB | 2s |',
    );
    expect(text).toContain(
      '| `127.0.0.1:5000/worker:v2` | `sha256:ffffffffffff` | linux/amd64 | 1 / 0 / 0 | 50.0 MB | 0 B | 2s |',
    );
    expect(text).toContain(
      '**Cache hit: partial.** 3 distinct layers: 2 from cache, 1 from the registry',
    );
    expect(text).toContain('2 least recently used blobs evicted (3.00 MB)');
  });

  it('counts a layer shared by two images once in the totals', () => {
    expect(totals([web, worker])).toMatchObject({
      layersTotal: 3,
      bytesFromCache: 50_000_000 + 20_000_000 + 900,
      bytesFromRegistry: 1000 + 5_000_000,
    });
  });

  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.50 kB'],
    [210_000_000, '210.0 MB'],
    [12e9, '12.0 GB'],
  ])('%d bytes read as %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
