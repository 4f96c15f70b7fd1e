import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type AwsOptions, readAwsOptions } from '../../lib/aws.ts';
import { runnerContext } from '../../lib/context.ts';
import { InputError } from '../../lib/errors.ts';
import { ecrRegistry } from '../../lib/image-ref.ts';
import {
  actionInputs,
  exactlyOne,
  type InputSource,
  optional,
  parseBoolean,
  parseChoice,
  parseDuration,
  parseInteger,
  required,
  workspaceDir,
} from '../../lib/inputs.ts';
import { LEVELS, type Level } from './findings.ts';
import { type IgnoreEntry, parseIgnoreFile } from './ignore.ts';
import { DEFAULT_IGNORE_FILE, INPUT } from './names.ts';

export interface Inputs {
  repository: string;
  imageId: { imageTag: string } | { imageDigest: string };
  registryId?: string;
  waitTimeoutMs: number;
  /** How long the findings must stay unchanged after the scan finished; 0 disables. */
  settleMs: number;
  startScan: boolean;
  failOn: Level | 'none';
  failOnFixable: boolean;
  failOnExploitable: boolean;
  failOnScope: 'all' | 'new';
  ignoreFile: string;
  ignores: IgnoreEntry[];
  tickets: boolean;
  ticketSeverity: Level;
  ticketLabels: string[];
  maxNewTickets: number;
  closeFixed: boolean;
  prComment: 'auto' | 'true' | 'false';
  /** Absolute path, when SARIF is wanted. */
  sarifFile?: string;
  /** As given (relative to the workspace): SARIF locations are repository paths. */
  dockerfile: string;
  githubToken: string;
  aws: AwsOptions;
}

const REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const LABEL_MAX = 50;

function parseLabels(raw: string): string[] {
  const labels = raw
    .split(/[,\n]/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (labels.length === 0) {
    throw new InputError(
      INPUT.ticketLabels,
      'needs at least one label: tickets are found again by their labels',
    );
  }
  const long = labels.find((l) => l.length > LABEL_MAX);
  if (long)
    throw new InputError(
      INPUT.ticketLabels,
      `label '${long}' is longer than ${LABEL_MAX} characters`,
    );
  return [...new Set(labels)];
}

function readIgnores(file: string, workspace: string): IgnoreEntry[] {
  const resolved = path.resolve(workspace, file);
  if (!existsSync(resolved)) {
    // The default file is optional; a path the user chose must exist, or its entries would be
    // silently dropped.
    if (file === DEFAULT_IGNORE_FILE) return [];
    throw new InputError(INPUT.ignoreFile, `file not found: ${file}`);
  }
  return parseIgnoreFile(INPUT.ignoreFile, readFileSync(resolved, 'utf8'), file);
}

/** `settle`: a duration, or `0` to judge the first finished answer. */
function parseSettle(raw: string): number {
  if (raw.trim() === '0') return 0;
  try {
    return parseDuration(INPUT.settle, raw, '60s');
  } catch {
    throw new InputError(
      INPUT.settle,
      `must be a duration like 60s or 2m, or 0 to turn it off, got '${raw}'`,
    );
  }
}

export function isPullRequestEvent(eventName: string): boolean {
  return eventName === 'pull_request' || eventName === 'pull_request_target';
}

/** Reads and validates every input before anything reaches AWS or GitHub. */
export function getInputs(
  source: InputSource = actionInputs,
  workspace = workspaceDir(),
  eventName = runnerContext().eventName,
): Inputs {
  const repository = required(INPUT.repository, source(INPUT.repository));
  const slash = repository.indexOf('/');
  if (slash > 0 && ecrRegistry(repository.slice(0, slash))) {
    throw new InputError(
      INPUT.repository,
      `give the repository name, not its URI: '${repository.slice(slash + 1)}' (and registry-id for another account)`,
    );
  }
  if (repository.length < 2 || repository.length > 256 || !REPOSITORY.test(repository)) {
    throw new InputError(
      INPUT.repository,
      `'${repository}' is not an ECR repository name (lowercase letters, digits, . _ - and /; a name, not a URI)`,
    );
  }
  const tag = source(INPUT.imageTag);
  const digest = source(INPUT.imageDigest);
  const which = exactlyOne({ [INPUT.imageTag]: tag, [INPUT.imageDigest]: digest });
  let imageId: Inputs['imageId'];
  if (which === INPUT.imageTag) {
    if (!TAG.test(tag)) throw new InputError(INPUT.imageTag, `'${tag}' is not a valid image tag`);
    imageId = { imageTag: tag };
  } else {
    if (!DIGEST.test(digest)) {
      throw new InputError(
        INPUT.imageDigest,
        `must look like sha256:<64 hex digits>, got '${digest}'`,
      );
    }
    imageId = { imageDigest: digest };
  }
  const registryId = optional(source(INPUT.registryId));
  if (registryId !== undefined && !/^\d{12}$/.test(registryId)) {
    throw new InputError(
      INPUT.registryId,
      `must be a 12-digit AWS account id, got '${registryId}'`,
    );
  }
  const waitTimeoutMs = parseDuration(INPUT.waitTimeout, source(INPUT.waitTimeout), '10m');
  const settleMs = parseSettle(source(INPUT.settle));
  const startScan = parseBoolean(INPUT.startScan, source(INPUT.startScan), true);
  const failOn = parseChoice(INPUT.failOn, source(INPUT.failOn), ['none', ...LEVELS], 'critical');
  const failOnFixable = parseBoolean(INPUT.failOnFixable, source(INPUT.failOnFixable), false);
  const failOnExploitable = parseBoolean(
    INPUT.failOnExploitable,
    source(INPUT.failOnExploitable),
    false,
  );
  const failOnScope = parseChoice(
    INPUT.failOnScope,
    source(INPUT.failOnScope),
    ['all', 'new'],
    'all',
  );
  const tickets = parseBoolean(INPUT.tickets, source(INPUT.tickets), false);
  const ticketSeverity = parseChoice(
    INPUT.ticketSeverity,
    source(INPUT.ticketSeverity),
    LEVELS,
    'high',
  );
  const ticketLabels = parseLabels(source(INPUT.ticketLabels) || 'security,ecr-scan');
  const maxNewTickets = parseInteger(INPUT.maxNewTickets, source(INPUT.maxNewTickets), {
    min: 0,
    max: 1000,
    fallback: 20,
  });
  const closeFixed = parseBoolean(INPUT.closeFixed, source(INPUT.closeFixed), true);
  const prComment = parseChoice(
    INPUT.prComment,
    source(INPUT.prComment),
    ['auto', 'true', 'false'],
    'auto',
  );
  const sarifRaw = optional(source(INPUT.sarifFile));
  const dockerfile = source(INPUT.dockerfile) || 'Dockerfile';
  const ignoreFile = source(INPUT.ignoreFile) || DEFAULT_IGNORE_FILE;
  const ignores = readIgnores(ignoreFile, workspace);
  const githubToken = source(INPUT.githubToken);
  const wantsGitHub =
    tickets || prComment === 'true' || (prComment === 'auto' && isPullRequestEvent(eventName));
  if (wantsGitHub && githubToken === '') {
    throw new InputError(
      INPUT.githubToken,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, shown as written
      'is required for tickets and PR comments (the default is ${{ github.token }})',
    );
  }
  const inputs: Inputs = {
    repository,
    imageId,
    waitTimeoutMs,
    settleMs,
    startScan,
    failOn,
    failOnFixable,
    failOnExploitable,
    failOnScope,
    ignoreFile,
    ignores,
    tickets,
    ticketSeverity,
    ticketLabels,
    maxNewTickets,
    closeFixed,
    prComment,
    dockerfile,
    githubToken,
    aws: readAwsOptions(source),
  };
  if (registryId !== undefined) inputs.registryId = registryId;
  if (sarifRaw !== undefined) inputs.sarifFile = path.resolve(workspace, sarifRaw);
  return inputs;
}
