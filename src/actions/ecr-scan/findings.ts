import type {
  EnhancedImageScanFinding,
  ImageScanFinding,
  VulnerablePackage,
} from '@aws-sdk/client-ecr';

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
 * One vulnerability in one package at one path of the image, whichever scanner found it. Basic
 * scanning reports a finding per vulnerability and package; an enhanced (Inspector) finding may
 * name several packages, or one package at several paths, and becomes one Finding per entry.
 */
export interface Finding {
  id: string;
  severity: Severity;
  packageName: string;
  /** The installed version as the package manager writes it: `[epoch:]version[-release]`. */
  packageVersion?: string;
  packageManager?: string;
  /** The first fixed version, written the same way as `packageVersion`. */
  fixedInVersion?: string;
  /** CVSS or Inspector score, 0–10. */
  score?: number;
  title?: string;
  description?: string;
  url?: string;
  /** Digest of the layer that brought the package (enhanced scanning only). */
  layer?: string;
  /** Where the package sits in the image (enhanced scanning, language packages). */
  filePath?: string;
  /**
   * Amazon Inspector's status when it is not ACTIVE: SUPPRESSED (a suppression rule matched) or
   * CLOSED (remediated). Basic findings have none.
   */
  status?: InspectorStatus;
  /** Inspector's `exploitAvailable`; basic scanning does not say. */
  exploitAvailable?: boolean;
  scanner: 'basic' | 'enhanced';
}

/** The Inspector statuses that take a finding out of the gate, the counts and the tickets. */
export type InspectorStatus = 'SUPPRESSED' | 'CLOSED';

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

/**
 * A version as dpkg and rpm write it: `epoch:version-release`, the epoch left out when it is 0
 * (as both do), the release when there is none (language packages).
 */
export function fullVersion(pkg: VulnerablePackage): string | undefined {
  if (!pkg.version) return undefined;
  const epoch = pkg.epoch ? `${pkg.epoch}:` : '';
  return `${epoch}${pkg.version}${pkg.release ? `-${pkg.release}` : ''}`;
}

/**
 * Inspector's fixed version, in the same form as the installed one: it writes RPM fixes with an
 * explicit `0:` epoch (`0:2.34-100.amzn2023.0.1`), which the installed version never shows.
 */
function fixedVersion(raw: string | undefined): string | undefined {
  if (!raw || raw === 'NotAvailable') return undefined;
  return raw.replace(/^0:/, '');
}

function inspectorStatus(raw: string | undefined): InspectorStatus | undefined {
  const upper = raw?.toUpperCase();
  return upper === 'SUPPRESSED' || upper === 'CLOSED' ? upper : undefined;
}

function yesNo(raw: string | undefined): boolean | undefined {
  const upper = raw?.toUpperCase();
  return upper === 'YES' ? true : upper === 'NO' ? false : undefined;
}

/** An enhanced-scanning finding (`imageScanFindings.enhancedFindings[]`), one per package entry. */
export function normalizeEnhanced(finding: EnhancedImageScanFinding): Finding[] {
  const details = finding.packageVulnerabilityDetails;
  const id = details?.vulnerabilityId ?? finding.title ?? finding.findingArn ?? 'UNKNOWN';
  const score = finding.scoreDetails?.cvss?.score ?? finding.score;
  const packages: VulnerablePackage[] = details?.vulnerablePackages?.length
    ? details.vulnerablePackages
    : [{}];
  const url = details?.sourceUrl || finding.remediation?.recommendation?.url || undefined;
  return packages.map((pkg) =>
    defined({
      id,
      severity: toSeverity(finding.severity),
      packageName: pkg.name || UNKNOWN_PACKAGE,
      packageVersion: fullVersion(pkg),
      packageManager: pkg.packageManager || undefined,
      fixedInVersion: fixedVersion(pkg.fixedInVersion),
      score,
      title: finding.title || undefined,
      description: finding.description || undefined,
      url,
      layer: pkg.sourceLayerHash || undefined,
      filePath: pkg.filePath || undefined,
      status: inspectorStatus(finding.status),
      exploitAvailable: yesNo(finding.exploitAvailable),
      scanner: 'enhanced' as const,
    }),
  );
}

/**
 * What makes a finding one: its vulnerability, package and path in the image (empty when ECR
 * names none, as for OS packages). Versions are left out so the identity survives an upgrade
 * that does not fix the vulnerability.
 */
export function findingIdentity(finding: Finding): string {
  return `${finding.id}\n${finding.packageName}\n${finding.filePath ?? ''}`;
}

/**
 * One finding per identity, in the order read, the most severe kept. ECR can name the same package at the same path
 * twice (two Inspector findings of one vulnerability, or one finding listing a package twice);
 * counted twice, it would give code scanning two results with one fingerprint.
 */
export function uniqueFindings(findings: readonly Finding[]): {
  findings: Finding[];
  duplicates: number;
} {
  const seen = new Map<string, Finding>();
  for (const finding of findings) {
    const identity = findingIdentity(finding);
    const kept = seen.get(identity);
    if (!kept || compareFindings(finding, kept) < 0) seen.set(identity, finding);
  }
  return { findings: [...seen.values()], duplicates: findings.length - seen.size };
}

/** Whether a fix is known: undefined under basic scanning, which never reports fixed versions. */
export function hasFix(finding: Finding): boolean | undefined {
  if (finding.fixedInVersion) return true;
  return finding.scanner === 'basic' ? undefined : false;
}

/** Most severe first, then highest score, then by id and package for a stable order. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    ORDER[a.severity] - ORDER[b.severity] ||
    (b.score ?? -1) - (a.score ?? -1) ||
    a.id.localeCompare(b.id) ||
    a.packageName.localeCompare(b.packageName) ||
    (a.filePath ?? '').localeCompare(b.filePath ?? '') ||
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
