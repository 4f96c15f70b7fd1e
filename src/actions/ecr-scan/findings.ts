import type { EnhancedImageScanFinding, ImageScanFinding } from '@aws-sdk/client-ecr';

export const SEVERITIES = [
  'CRITICAL',
  'HIGH',
  'MEDIUM',
  'LOW',
  'INFORMATIONAL',
  'UNDEFINED',
] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The `fail-on` and `ticket-severity` levels, lowest last. */
export const LEVELS = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export type Level = (typeof LEVELS)[number];

/**
 * One vulnerability in one package of the image, whichever scanner found it. Basic scanning
 * reports a finding per vulnerability and package; an enhanced (Inspector) finding may name
 * several packages and becomes one Finding per package.
 */
export interface Finding {
  id: string;
  severity: Severity;
  packageName: string;
  packageVersion?: string;
  packageManager?: string;
  fixedInVersion?: string;
  /** CVSS or Inspector score, 0–10. */
  score?: number;
  title?: string;
  description?: string;
  url?: string;
  /** Digest of the layer that brought the package (enhanced scanning only). */
  layer?: string;
  /** Where the package sits in the image (enhanced scanning only). */
  filePath?: string;
  scanner: 'basic' | 'enhanced';
}

/** The package name basic findings use when ECR does not name one. */
export const UNKNOWN_PACKAGE = 'unknown';

const ORDER: Record<Severity, number> = {
  CRITICAL: 0,
  HIGH: 1,
  MEDIUM: 2,
  LOW: 3,
  INFORMATIONAL: 4,
  UNDEFINED: 5,
};

/**
 * Threshold rank. INFORMATIONAL is the lowest level a user can name, so it also covers findings
 * whose severity the scanner left undefined (Inspector's UNTRIAGED).
 */
const RANK: Record<Severity, number> = {
  CRITICAL: 5,
  HIGH: 4,
  MEDIUM: 3,
  LOW: 2,
  INFORMATIONAL: 1,
  UNDEFINED: 1,
};

export function atOrAbove(severity: Severity, level: Level): boolean {
  return RANK[severity] >= RANK[level.toUpperCase() as Severity];
}

export function toSeverity(raw: string | undefined): Severity {
  const upper = (raw ?? '').toUpperCase();
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : 'UNDEFINED';
}

function attribute(finding: ImageScanFinding, key: string): string | undefined {
  const value = finding.attributes?.find((a) => a.key === key)?.value;
  return value === undefined || value === '' ? undefined : value;
}

function number(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function defined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

/** A basic-scanning finding (`imageScanFindings.findings[]`). */
export function normalizeBasic(finding: ImageScanFinding): Finding {
  return defined({
    id: finding.name ?? 'UNKNOWN',
    severity: toSeverity(finding.severity),
    packageName: attribute(finding, 'package_name') ?? UNKNOWN_PACKAGE,
    packageVersion: attribute(finding, 'package_version'),
    score: number(attribute(finding, 'CVSS3_SCORE')) ?? number(attribute(finding, 'CVSS2_SCORE')),
    description: finding.description || undefined,
    url: finding.uri || undefined,
    scanner: 'basic' as const,
  });
}

/** An enhanced-scanning finding (`imageScanFindings.enhancedFindings[]`), one per package. */
export function normalizeEnhanced(finding: EnhancedImageScanFinding): Finding[] {
  const details = finding.packageVulnerabilityDetails;
  const id = details?.vulnerabilityId ?? finding.title ?? finding.findingArn ?? 'UNKNOWN';
  const score = finding.scoreDetails?.cvss?.score ?? finding.score;
  const packages = details?.vulnerablePackages?.length ? details.vulnerablePackages : [{}];
  const url = details?.sourceUrl || finding.remediation?.recommendation?.url || undefined;
  return packages.map((pkg) =>
    defined({
      id,
      severity: toSeverity(finding.severity),
      packageName: pkg.name || UNKNOWN_PACKAGE,
      packageVersion: pkg.version || undefined,
      packageManager: pkg.packageManager || undefined,
      fixedInVersion:
        pkg.fixedInVersion && pkg.fixedInVersion !== 'NotAvailable'
          ? pkg.fixedInVersion
          : undefined,
      score,
      title: finding.title || undefined,
      description: finding.description || undefined,
      url,
      layer: pkg.sourceLayerHash || undefined,
      filePath: pkg.filePath || undefined,
      scanner: 'enhanced' as const,
    }),
  );
}

/** Most severe first, then highest score, then by id and package for a stable order. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    ORDER[a.severity] - ORDER[b.severity] ||
    (b.score ?? -1) - (a.score ?? -1) ||
    a.id.localeCompare(b.id) ||
    a.packageName.localeCompare(b.packageName) ||
    (a.packageVersion ?? '').localeCompare(b.packageVersion ?? '')
  );
}

export type SeverityCounts = Record<Severity, number>;

export function emptyCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
}

/** Counted from the findings themselves: `findingSeverityCounts` covers one page at most. */
export function countSeverities(findings: readonly Finding[]): SeverityCounts {
  const counts = emptyCounts();
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

/** A short human label for a package: `openssl 3.0.13`. */
export function packageLabel(finding: Finding): string {
  return finding.packageVersion
    ? `${finding.packageName} ${finding.packageVersion}`
    : finding.packageName;
}

/** What the user can do about a finding, in one sentence. */
export function fixText(finding: Finding): string {
  if (finding.fixedInVersion) {
    return `Upgrade ${finding.packageName}${finding.packageVersion ? ` from ${finding.packageVersion}` : ''} to ${finding.fixedInVersion} or later.`;
  }
  if (finding.scanner === 'basic') {
    return `Update ${finding.packageName} (rebuild on a newer base image); basic scanning does not report fixed versions.`;
  }
  return `No fixed version of ${finding.packageName} is known yet.`;
}
