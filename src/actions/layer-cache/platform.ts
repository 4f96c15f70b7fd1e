/** An image platform as an OCI index describes it: `os/architecture[/variant]`. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const PLATFORM = /^([a-z0-9_-]+)\/([a-z0-9_-]+)(?:\/([a-z0-9_.-]+))?$/;

export function parsePlatform(text: string): Platform | undefined {
  const match = PLATFORM.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const platform: Platform = { os: match[1]!, architecture: match[2]! };
  if (match[3]) platform.variant = match[3];
  return platform;
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Node's and the runner's architecture names, as OCI spells them. */
const ARCHITECTURES: Record<string, string> = {
  x64: 'amd64',
  amd64: 'amd64',
  x86: '386',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390x',
  ppc64: 'ppc64le',
  riscv64: 'riscv64',
};

/**
 * The platform of the machine running the job: `RUNNER_ARCH`/`RUNNER_OS` when the runner sets
 * them, Node's own otherwise. Containers on macOS runners are Linux containers.
 */
export function runnerPlatform(
  env: NodeJS.ProcessEnv = process.env,
  arch = process.arch,
): Platform {
  const architecture = ARCHITECTURES[(env.RUNNER_ARCH || arch).toLowerCase()] ?? arch;
  const os = (env.RUNNER_OS || process.platform).toLowerCase().startsWith('win')
    ? 'windows'
    : 'linux';
  return { os, architecture };
}

/** Variants that an index may or may not spell out: `arm64` is `arm64/v8` unless said otherwise. */
const DEFAULT_VARIANT: Record<string, string> = { arm64: 'v8', arm: 'v7' };

function variantOf(p: { architecture: string; variant?: string }): string | undefined {
  return p.variant || DEFAULT_VARIANT[p.architecture];
}

export interface IndexEntry {
  digest: string;
  mediaType?: string;
  size?: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

/** Attestations (SBOM, provenance) ride in an index as `unknown/unknown` entries. */
export function isAttestation(entry: IndexEntry): boolean {
  return (
    entry.platform?.os === 'unknown' ||
    entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
  );
}

export type PlatformPick = { entry: IndexEntry } | { entry?: undefined; available: string[] };

/**
 * The index entry for a platform: same os and architecture; the variant must match when either
 * side names one (with arm64 meaning arm64/v8). Attestation entries are never picked.
 */
export function pickPlatform(entries: readonly IndexEntry[], wanted: Platform): PlatformPick {
  const images = entries.filter((e) => e.platform && !isAttestation(e));
  const entry = images.find((e) => {
    const p = e.platform!;
    if (p.os !== wanted.os || p.architecture !== wanted.architecture) return false;
    return variantOf(p) === variantOf(wanted) || (!p.variant && !wanted.variant);
  });
  if (entry) return { entry };
  return { available: images.map((e) => formatPlatform(e.platform!)) };
}
