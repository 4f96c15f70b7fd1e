import { createHash } from 'node:crypto';
import { VERSION } from '../../lib/version.ts';
import { compareFindings, type Finding, fixText, packageLabel, type Severity } from './findings.ts';
import type { IgnoreEntry } from './ignore.ts';
import { findingKey, type ImageInfo, imageName } from './tickets.ts';

/**
 * The line of the Dockerfile's last `FROM` instruction (the stage that becomes the image), 1-based.
 * Follows the Dockerfile rules that move line numbers: comment lines, line continuations, and the
 * `# escape=` parser directive that changes the continuation character.
 */
export function lastFromLine(text: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let continuation = '\\';
  let index = 0;
  // Parser directives: `# key=value` lines at the very top, before any other line.
  for (; index < lines.length; index++) {
    const directive = /^\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[index]!);
    if (!directive) break;
    if (
      directive[1]!.toLowerCase() === 'escape' &&
      (directive[2] === '`' || directive[2] === '\\')
    ) {
      continuation = directive[2];
    }
  }
  let last: number | undefined;
  let continuing = false;
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    const trimmed = line.trim();
    if (!continuing) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (/^from(\s|$)/i.test(trimmed)) last = index + 1;
    } else if (trimmed.startsWith('#')) {
      // A comment inside a continued instruction is dropped without ending it.
      continue;
    }
    continuing = trimmed.endsWith(continuation) && trimmed !== '';
  }
  return last;
}

export interface DockerfileLocation {
  /** Repository-relative path, forward slashes. */
  uri: string;
  line: number;
}

export interface SarifInput {
  image: ImageInfo;
  findings: readonly Finding[];
  ignored: readonly { finding: Finding; entry: IgnoreEntry }[];
  /** SUPPRESSED in Amazon Inspector: reported as suppressed results. */
  suppressed?: readonly Finding[];
  dockerfile: DockerfileLocation;
}

/**
 * Code scanning's identity of a result: repository, vulnerability, package and path in the image.
 * Stable across rebuilds and upgrades that do not fix it (no digest, no version), and unique in a
 * run, whose findings are one per vulnerability, package and path. A finding without a path keeps
 * the fingerprint earlier versions gave it (the ticket key), so its alert carries over.
 */
export function sarifFingerprint(repository: string, finding: Finding): string {
  if (!finding.filePath) return findingKey(repository, finding);
  return createHash('sha256')
    .update(`${repository}\n${finding.id}\n${finding.packageName}\n${finding.filePath}`)
    .digest('hex');
}

type Suppression = { reason: string } | undefined;

/** GitHub's bands for `security-severity`: >= 9 critical, 7–8.9 high, 4–6.9 medium, 0.1–3.9 low. */
const BANDS: Record<Severity, { min: number; max: number; fallback: number }> = {
  CRITICAL: { min: 9, max: 10, fallback: 9.5 },
  HIGH: { min: 7, max: 8.9, fallback: 8 },
  MEDIUM: { min: 4, max: 6.9, fallback: 5.5 },
  LOW: { min: 0.1, max: 3.9, fallback: 2 },
  INFORMATIONAL: { min: 0, max: 0, fallback: 0 },
  UNDEFINED: { min: 0, max: 0, fallback: 0 },
};

/**
 * The numeric string code scanning sorts by. The score is used when it agrees with ECR's severity
 * band; otherwise the band's middle, so code scanning never shows a different severity than ECR.
 */
export function securitySeverity(severity: Severity, score: number | undefined): string {
  const band = BANDS[severity];
  const value =
    score !== undefined && score >= band.min && score <= band.max ? score : band.fallback;
  return value.toFixed(1);
}

function level(severity: Severity): 'error' | 'warning' | 'note' {
  if (severity === 'CRITICAL' || severity === 'HIGH') return 'error';
  return severity === 'MEDIUM' ? 'warning' : 'note';
}

function helpMarkdown(finding: Finding): string {
  const lines = [
    `**${finding.id}** in \`${finding.packageName}\` (${finding.severity})`,
    '',
    `**Fix:** ${fixText(finding)}`,
  ];
  if (finding.url) lines.push('', `More: ${finding.url}`);
  return lines.join('\n');
}

/** A SARIF 2.1.0 log: one rule per vulnerability id, one result per vulnerable package and path. */
export function buildSarif(input: SarifInput): Record<string, unknown> {
  const { image } = input;
  const all: { finding: Finding; suppression: Suppression }[] = [
    ...input.findings.map((finding) => ({ finding, suppression: undefined })),
    ...input.ignored.map(({ finding, entry }) => ({
      finding,
      suppression: { reason: `${entry.reason} (until ${entry.expires})` },
    })),
    ...(input.suppressed ?? []).map((finding) => ({
      finding,
      suppression: { reason: 'suppressed by a suppression rule in Amazon Inspector' },
    })),
  ].sort((a, b) => compareFindings(a.finding, b.finding));

  const rules: Record<string, unknown>[] = [];
  const ruleIndex = new Map<string, number>();
  for (const { finding } of all) {
    if (ruleIndex.has(finding.id)) continue;
    // Findings are sorted most severe first, so the first one of an id sets the rule's severity.
    ruleIndex.set(finding.id, rules.length);
    const summary = finding.title ?? `${finding.id} in ${finding.packageName}`;
    const rule: Record<string, unknown> = {
      id: finding.id,
      name: finding.id.replace(/[^A-Za-z0-9]/g, ''),
      shortDescription: { text: summary },
      fullDescription: { text: finding.description ?? summary },
      help: { text: `${finding.id}: ${fixText(finding)}`, markdown: helpMarkdown(finding) },
      defaultConfiguration: { level: level(finding.severity) },
      properties: {
        'security-severity': securitySeverity(finding.severity, finding.score),
        tags: ['security', 'vulnerability', 'container', finding.severity.toLowerCase()],
        precision: 'very-high',
      },
    };
    if (finding.url) rule.helpUri = finding.url;
    rules.push(rule);
  }

  const where = imageName(image);
  const results = all.map(({ finding, suppression }) => {
    const at = finding.filePath ? ` at ${finding.filePath}` : '';
    const location: Record<string, unknown> = {
      physicalLocation: {
        artifactLocation: { uri: input.dockerfile.uri },
        region: { startLine: input.dockerfile.line },
      },
      message: { text: `${packageLabel(finding)}${at} in image ${where}` },
    };
    // The package's file in the image: not a repository file, so a logical location.
    if (finding.filePath) {
      location.logicalLocations = [
        { name: finding.packageName, fullyQualifiedName: finding.filePath, kind: 'module' },
      ];
    }
    const result: Record<string, unknown> = {
      ruleId: finding.id,
      ruleIndex: ruleIndex.get(finding.id)!,
      level: level(finding.severity),
      message: {
        text: `${finding.id} (${finding.severity}) in ${packageLabel(finding)}${at} of image ${where}. ${fixText(finding)}`,
      },
      locations: [location],
      partialFingerprints: { 'ecrScanFinding/v1': sarifFingerprint(image.repository, finding) },
      properties: {
        package: finding.packageName,
        ...(finding.filePath ? { filePath: finding.filePath } : {}),
        ...(finding.packageVersion ? { installedVersion: finding.packageVersion } : {}),
        ...(finding.fixedInVersion ? { fixedInVersion: finding.fixedInVersion } : {}),
        ...(finding.exploitAvailable !== undefined
          ? { exploitAvailable: finding.exploitAvailable }
          : {}),
        ...(image.digest ? { imageDigest: image.digest } : {}),
      },
    };
    if (suppression) {
      result.suppressions = [
        { kind: 'external', status: 'accepted', justification: suppression.reason },
      ];
    }
    return result;
  });

  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'fargate-delivery ecr-scan',
            semanticVersion: VERSION,
            informationUri:
              'https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html',
            rules,
          },
        },
        // A trailing slash makes the whole id the category, so each repository's scan replaces
        // only its own earlier results in code scanning.
        automationDetails: { id: `ecr/${image.repository}/` },
        results,
        properties: {
          image: where,
          ...(image.digest ? { imageDigest: image.digest } : {}),
        },
      },
    ],
  };
}
