import {
  type CommentWrite,
  hiddenMarker,
  type Octokit,
  type RepoRef,
  upsertComment,
} from '../../lib/github.ts';
import { fitBody } from '../../lib/markdown.ts';
import {
  atOrAbove,
  compareFindings,
  type Finding,
  type Level,
  SEVERITIES,
  type SeverityCounts,
} from './findings.ts';
import { BODY_BUDGET, cell, code, fitRows, link, notShown } from './markdown.ts';
import { findingKey, type ImageInfo, imageName } from './tickets.ts';

/** One comment per image repository: the marker finds it again on every push to the PR. */
export function prCommentMarker(image: ImageInfo): string {
  return hiddenMarker(
    'ecr-scan-pr-comment',
    `${image.registryId ? `${image.registryId}/` : ''}${image.repository}`,
  );
}

export interface PrCommentInput {
  image: ImageInfo;
  /** Findings not ignored. */
  findings: readonly Finding[];
  counts: SeverityCounts;
  ignored: number;
  /** SUPPRESSED or CLOSED in Amazon Inspector: counted apart, never listed as findings. */
  suppressed?: number;
  level: Level;
  /** The base branch's image and its findings, when one was found. */
  base?: { image: ImageInfo; findings: readonly Finding[] };
  /** For tests; GitHub's real limit is far above what the default budget allows. */
  budget?: number;
}

function row(f: Finding): (max: number) => string {
  return (max) => {
    const where = f.filePath ? ` at ${code(f.filePath, max)}` : '';
    return `| ${f.severity} | ${link(cell(f.id, Math.min(max, 80)), f.url)} | ${code(f.packageName, max)}${where} | ${cell(f.packageVersion, max)} | ${cell(f.fixedInVersion, max)} |`;
  };
}

export function renderPrComment(input: PrCommentInput): string {
  const { image } = input;
  const sorted = [...input.findings].sort(compareFindings);
  let listed: Finding[];
  let intro: string;
  let fixedNote = '';
  if (input.base) {
    const baseKeys = new Set(input.base.findings.map((f) => findingKey(image.repository, f)));
    const headKeys = new Set(sorted.map((f) => findingKey(image.repository, f)));
    listed = sorted.filter((f) => !baseKeys.has(findingKey(image.repository, f)));
    const fixed = new Set(
      input.base.findings
        .map((f) => findingKey(image.repository, f))
        .filter((k) => !headKeys.has(k)),
    ).size;
    intro =
      listed.length === 0
        ? `No new findings compared with the base image ${code(imageName(input.base.image))}.`
        : `**${listed.length} new finding${listed.length === 1 ? '' : 's'}** compared with the base image ${code(imageName(input.base.image))}:`;
    if (fixed > 0)
      fixedNote = `\n${fixed} finding${fixed === 1 ? '' : 's'} of the base image ${fixed === 1 ? 'is' : 'are'} gone in this one.`;
  } else {
    listed = sorted.filter((f) => atOrAbove(f.severity, input.level));
    const level = input.level.toUpperCase();
    intro =
      listed.length === 0
        ? `No findings at or above ${level}. (No scanned base image was found to compare with.)`
        : `**${listed.length} finding${listed.length === 1 ? '' : 's'} at or above ${level}** (no scanned base image was found to compare with):`;
  }
  const countsRow = `| ${SEVERITIES.map((s) => input.counts[s]).join(' | ')} | ${input.ignored} |`;
  const head = [
    prCommentMarker(image),
    `### ECR scan of ${code(imageName(image))}`,
    '',
    '| Critical | High | Medium | Low | Informational | Undefined | Ignored |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    countsRow,
    ...(input.suppressed
      ? ['', `${input.suppressed} more suppressed or closed in Amazon Inspector (not counted).`]
      : []),
    '',
    intro + fixedNote,
  ].join('\n');
  if (listed.length === 0) return fitBody(head);
  const table = fitRows(
    `${head}\n\n| Severity | Vulnerability | Package | Installed | Fixed in |\n|---|---|---|---|---|`,
    listed.map(row),
    input.budget ?? BODY_BUDGET,
  );
  if (table.omitted === 0) return fitBody(table.text);
  return fitBody(
    `${table.text}\n\n${notShown(table.omitted, 'see the findings file of this run')}`,
  );
}

export type CommentOutcome = CommentWrite;

/** Finds our comment by its marker and edits it in place, or creates it; writes only on change. */
export function upsertPrComment(
  octokit: Octokit,
  repo: RepoRef,
  prNumber: number,
  marker: string,
  body: string,
): Promise<CommentOutcome> {
  return upsertComment(octokit, repo, prNumber, marker, body);
}
