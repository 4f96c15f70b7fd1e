import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseJsonText } from '../../lib/documents.ts';
import { ActionError, describeError, InputError } from '../../lib/errors.ts';
import type { Octokit, RepoRef } from '../../lib/github.ts';
import { INPUT } from './names.ts';
import { type HistoryRecord, isRecord, toRecord } from './record.ts';

/** Where earlier deploys are read from and this one is recorded. */
export interface HistoryStore {
  /** For the summary: "GitHub deployments (production)", "history file deploy-budget.json". */
  readonly description: string;
  /** Records for the environment, in any order. */
  read(environment: string): Promise<HistoryRecord[]>;
  append(environment: string, record: HistoryRecord, context: AppendContext): Promise<void>;
}

export interface AppendContext {
  /** The commit deployed (the deployment's ref). */
  sha: string;
  /** One line for the deployment status, ≤ 140 characters. */
  description: string;
  /** Link from the deployment to the workflow run. */
  logUrl?: string;
}

/** Marks deployments created by this action; the payload key holds the record. */
export const DEPLOYMENT_TASK = 'deploy:budget';
export const PAYLOAD_KEY = 'deploy-budget';
/** Enough earlier deploys for the rolling window, the recent ones and the chart. */
export const READ_LIMIT = 50;
// Environments with many foreign deployments would otherwise be read to the end.
const MAX_PAGES = 10;
/** Records kept per environment in a history file. */
export const FILE_LIMIT = 200;

function payloadRecord(payload: unknown): HistoryRecord | undefined {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = toRecord((value as Record<string, unknown>)[PAYLOAD_KEY]);
  return isRecord(record) ? record : undefined;
}

const STATUS_DESCRIPTION_LIMIT = 140;

/** An API failure as one line that says which permission to check when it is one. */
function historyError(what: string, err: unknown): ActionError {
  if (err instanceof ActionError) return err;
  const status = (err as { status?: unknown }).status;
  const hint = status === 403 || status === 404 ? ' (the token needs deployments: write)' : '';
  return new ActionError(`history: cannot ${what}${hint}: ${describeError(err)}`);
}

/**
 * The GitHub Deployments API as the history: each measured deploy becomes a deployment (task
 * `deploy:budget`, the record in its payload) with a `success` status describing the duration.
 * Reading lists the environment's deployments newest first and keeps the ones that carry a record.
 */
export function deploymentsHistory(octokit: Octokit, repo: RepoRef): HistoryStore {
  return {
    description: 'GitHub deployments',
    async read(environment) {
      try {
        return await readDeployments(environment);
      } catch (err) {
        throw historyError(`read the deployments of ${environment}`, err);
      }
    },
    async append(environment, record, context) {
      try {
        await createDeployment(environment, record, context);
      } catch (err) {
        throw historyError(`record this deploy as a deployment to ${environment}`, err);
      }
    },
  };

  async function readDeployments(environment: string): Promise<HistoryRecord[]> {
    const records: HistoryRecord[] = [];
    let pages = 0;
    for await (const page of octokit.paginate.iterator(octokit.rest.repos.listDeployments, {
      ...repo,
      environment,
      task: DEPLOYMENT_TASK,
      per_page: 100,
    })) {
      for (const deployment of page.data) {
        // The task filter is the server's; the payload check is ours, for servers that ignore it.
        if (deployment.environment !== environment) continue;
        const record = payloadRecord(deployment.payload);
        if (record) records.push(record);
      }
      if (records.length >= READ_LIMIT || ++pages >= MAX_PAGES) break;
    }
    return records.slice(0, READ_LIMIT);
  }

  async function createDeployment(
    environment: string,
    record: HistoryRecord,
    context: AppendContext,
  ): Promise<void> {
    const created = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: context.sha,
      environment,
      task: DEPLOYMENT_TASK,
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      description: 'Deploy duration measured by deploy-budget',
      payload: { [PAYLOAD_KEY]: record } as unknown as Record<string, unknown>,
    });
    if (!('id' in created.data)) {
      throw new ActionError(
        `history: GitHub did not create the deployment for ${context.sha}: ${created.data.message ?? `HTTP ${created.status}`}`,
      );
    }
    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: created.data.id,
      state: 'success',
      description: context.description.slice(0, STATUS_DESCRIPTION_LIMIT),
      ...(context.logUrl ? { log_url: context.logUrl } : {}),
    });
  }
}

interface HistoryFileContent {
  version: 1;
  environments: Record<string, HistoryRecord[]>;
}

function readHistoryFile(file: string, shown: string): HistoryFileContent {
  if (!existsSync(file)) return { version: 1, environments: {} };
  const value = parseJsonText(INPUT.history, readFileSync(file, 'utf8'), shown);
  const fail = (problem: string) => new InputError(INPUT.history, `${shown}: ${problem}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('expected an object with "environments"');
  }
  const environments = (value as Record<string, unknown>).environments ?? {};
  if (typeof environments !== 'object' || environments === null || Array.isArray(environments)) {
    throw fail('"environments" must map environment names to lists of deploys');
  }
  const content: HistoryFileContent = { version: 1, environments: {} };
  for (const [environment, list] of Object.entries(environments)) {
    if (!Array.isArray(list)) throw fail(`environments.${environment} must be a list`);
    content.environments[environment] = list.map((item, index) => {
      const record = toRecord(item);
      if (!isRecord(record)) throw fail(`environments.${environment}[${index}] ${record.problem}`);
      return record;
    });
  }
  return content;
}

/**
 * A JSON file in the workspace (committed, or kept in a cache between runs). Missing means no
 * history yet; it is written to a temporary file and renamed, so a cancelled job never leaves
 * half a file for the next run to choke on.
 */
export function fileHistory(file: string, shown: string): HistoryStore {
  return {
    description: `history file ${shown}`,
    async read(environment) {
      return readHistoryFile(file, shown).environments[environment] ?? [];
    },
    async append(environment, record) {
      const content = readHistoryFile(file, shown);
      const kept = (content.environments[environment] ?? []).filter(
        (r) => !record.runId || r.runId !== record.runId,
      );
      content.environments[environment] = [...kept, record].slice(-FILE_LIMIT);
      mkdirSync(path.dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
      try {
        writeFileSync(temp, `${JSON.stringify(content, null, 2)}\n`);
        renameSync(temp, file);
      } catch (err) {
        rmSync(temp, { force: true });
        throw new ActionError(
          `history: cannot write ${shown}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
    },
  };
}
