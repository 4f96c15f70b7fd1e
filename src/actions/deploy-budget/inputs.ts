import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { type AwsOptions, readAwsOptions } from '../../lib/aws.ts';
import { parseDocumentInput } from '../../lib/documents.ts';
import { InputError } from '../../lib/errors.ts';
import {
  actionInputs,
  type InputSource,
  parseChoice,
  parseDuration,
  parseInteger,
  parseKeyValueLines,
  parseSize,
  required,
  workspaceDir,
} from '../../lib/inputs.ts';
import { type EcrImage, parseEcrImage } from './image.ts';
import { INPUT } from './names.ts';
import { type Phase, parseDeployPhases, parseIsoTime } from './phases.ts';

export const ON_EXCEEDED = ['warn', 'fail', 'issue'] as const;
export type OnExceeded = (typeof ON_EXCEEDED)[number];

export type HistoryInput =
  | { kind: 'deployments' }
  | {
      kind: 'file';
      /** As given, relative to the workspace: shown in messages. */
      path: string;
      file: string;
    };

export interface Inputs {
  budgetSeconds: number;
  phaseBudgets: Array<{ phase: string; seconds: number }>;
  /** The deploy action's phases, when given. */
  phases: Phase[];
  /** Epoch ms; undefined means the workflow run's start. */
  startedAt?: number;
  /** Epoch ms the job became ready to start (needs done) but waited; only with startedAt. */
  waitingSince?: number;
  environment: string;
  history: HistoryInput;
  image?: EcrImage;
  imageBudgetBytes?: number;
  /** A fraction: 25% → 0.25. */
  regressionThreshold: number;
  minSamples: number;
  floorSeconds: number;
  onExceeded: OnExceeded;
  githubToken: string;
  aws: AwsOptions;
}

export function parsePercent(name: string, raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*%$/.exec(raw);
  if (!match) throw new InputError(name, `must be a percentage like 25%, got '${raw}'`);
  return Number(match[1]) / 100;
}

// GitHub accepts almost any environment name; these characters would break the issue's hidden
// marker or the chart's title.
const ENVIRONMENT = /^[^\p{Cc}<>"`]{1,255}$/u;

function parseEnvironment(raw: string): string {
  const value = raw === '' ? 'production' : raw;
  if (!ENVIRONMENT.test(value) || value.includes('--')) {
    throw new InputError(
      INPUT.environment,
      `must be an environment name without < > " \` or --, got '${value}'`,
    );
  }
  return value;
}

function parseHistory(raw: string, workspace: string): HistoryInput {
  if (raw === '' || raw === 'deployments') return { kind: 'deployments' };
  if (!raw.startsWith('file:')) {
    throw new InputError(INPUT.history, `must be 'deployments' or 'file:<path>', got '${raw}'`);
  }
  const given = raw.slice('file:'.length).trim();
  if (given === '')
    throw new InputError(INPUT.history, "'file:' needs a path, e.g. file:.deploy-budget.json");
  const file = path.resolve(workspace, given);
  if (existsSync(file) && !statSync(file).isFile()) {
    throw new InputError(INPUT.history, `not a file: ${given}`);
  }
  return { kind: 'file', path: given, file };
}

function parsePhaseBudgets(raw: string): Array<{ phase: string; seconds: number }> {
  return parseKeyValueLines(INPUT.phaseBudgets, raw, { allowEmptyValue: false }).map(
    ([phase, value]) => ({
      phase,
      seconds: positiveDuration(INPUT.phaseBudgets, value, `'${phase}'`) / 1000,
    }),
  );
}

function positiveDuration(name: string, raw: string, what?: string): number {
  let ms: number;
  try {
    ms = parseDuration(name, raw);
  } catch (err) {
    if (what && err instanceof InputError) {
      throw new InputError(name, `${what} ${err.message.slice(name.length + 2)}`);
    }
    throw err;
  }
  if (ms <= 0) throw new InputError(name, `${what ? `${what} ` : ''}must be longer than 0s`);
  return ms;
}

function isoTime(name: string, raw: string): number {
  const ms = parseIsoTime(raw);
  if (ms === undefined) {
    throw new InputError(
      name,
      `must be an ISO 8601 time with a zone, like 2024-05-01T12:00:00Z, got '${raw}'`,
    );
  }
  return ms;
}

/** Reads and validates every input before anything reaches GitHub or AWS. */
export function getInputs(source: InputSource = actionInputs, workspace = workspaceDir()): Inputs {
  const budgetSeconds =
    positiveDuration(INPUT.budget, required(INPUT.budget, source(INPUT.budget))) / 1000;
  const phasesRaw = source(INPUT.phases);
  const phases =
    phasesRaw === ''
      ? []
      : parseDeployPhases(
          INPUT.phases,
          parseDocumentInput(INPUT.phases, phasesRaw, workspace).value,
        );
  const inputs: Inputs = {
    budgetSeconds,
    phaseBudgets: parsePhaseBudgets(source(INPUT.phaseBudgets)),
    phases,
    environment: parseEnvironment(source(INPUT.environment)),
    history: parseHistory(source(INPUT.history), workspace),
    regressionThreshold: parsePercent(
      INPUT.regressionThreshold,
      source(INPUT.regressionThreshold) || '25%',
    ),
    minSamples: parseInteger(INPUT.minSamples, source(INPUT.minSamples), {
      min: 1,
      max: 1000,
      fallback: 5,
    }),
    floorSeconds: parseDuration(INPUT.floor, source(INPUT.floor), '30s') / 1000,
    onExceeded: parseChoice(INPUT.onExceeded, source(INPUT.onExceeded), ON_EXCEEDED, 'warn'),
    githubToken: source(INPUT.githubToken),
    aws: readAwsOptions(source),
  };
  const startedAt = source(INPUT.startedAt);
  if (startedAt !== '') inputs.startedAt = isoTime(INPUT.startedAt, startedAt);
  const waitingSince = source(INPUT.waitingSince);
  if (waitingSince !== '') {
    if (inputs.startedAt === undefined) {
      throw new InputError(
        INPUT.waitingSince,
        `needs ${INPUT.startedAt}: the wait lasts until the measured deploy starts, and is left out of the budget`,
      );
    }
    inputs.waitingSince = isoTime(INPUT.waitingSince, waitingSince);
  }
  const image = source(INPUT.image);
  if (image !== '') inputs.image = parseEcrImage(INPUT.image, image);
  const imageBudget = source(INPUT.imageBudget);
  if (imageBudget !== '') {
    if (!inputs.image) {
      throw new InputError(INPUT.imageBudget, 'needs the image input: the size is read from ECR');
    }
    inputs.imageBudgetBytes = parseSize(INPUT.imageBudget, imageBudget);
  }
  return inputs;
}
