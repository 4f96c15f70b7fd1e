import type { ECRClient } from '@aws-sdk/client-ecr';
import type { RunnerContext } from '../../lib/context.ts';
import { ActionError, describeError } from '../../lib/errors.ts';
import type { Octokit, RepoRef } from '../../lib/github.ts';
import type { Log } from '../../lib/log.ts';
import type { HistoryStore } from './history.ts';
import { imageSize } from './image.ts';
import type { Inputs } from './inputs.ts';
import { syncTrackingIssue } from './issue.ts';
import { INPUT } from './names.ts';
import {
  approvalWait,
  jobPhases,
  mergePhases,
  type Phase,
  parseIsoTime,
  phasesSince,
  type WorkflowJob,
} from './phases.ts';
import { type HistoryRecord, normalizeHistory } from './record.ts';
import {
  type BudgetReport,
  exceededAgainComment,
  recoveredComment,
  renderIssueBody,
  statusDescription,
} from './report.ts';
import { judge } from './stats.ts';

export interface RunContext {
  repo: RepoRef;
  /** The run's id (without one there are no job phases and no default start), SHA and server. */
  runner: RunnerContext;
  now: () => number;
  log: Log;
}

export interface Clients {
  octokit: Octokit;
  history: HistoryStore;
  /** Needed only when an image is given. */
  ecr?: ECRClient;
}

function forbidden(err: unknown): boolean {
  const status = (err as { status?: unknown }).status;
  return status === 403 || status === 404;
}

async function runStart(octokit: Octokit, context: RunContext): Promise<number> {
  if (!context.runner.runId) {
    throw new ActionError(
      'started-at: not given and GITHUB_RUN_ID is not set, so the pipeline start is unknown: give started-at',
    );
  }
  try {
    const { data } = await octokit.rest.actions.getWorkflowRun({
      ...context.repo,
      run_id: Number(context.runner.runId),
    });
    const start = parseIsoTime(data.run_started_at ?? data.created_at);
    if (start === undefined) throw new ActionError('the run has no start time');
    return start;
  } catch (err) {
    const hint = forbidden(err) ? ' (the token needs actions: read)' : '';
    throw new ActionError(
      `started-at: not given, and the workflow run's start could not be read${hint}: ${describeError(err)}`,
    );
  }
}

/**
 * The run's jobs and steps as phases. Missing permissions cost the phase breakdown, not the
 * budget check: the total duration does not depend on them.
 */
async function runPhases(octokit: Octokit, context: RunContext): Promise<Phase[]> {
  if (!context.runner.runId) return [];
  try {
    const jobs = (await octokit.paginate(octokit.rest.actions.listJobsForWorkflowRun, {
      ...context.repo,
      run_id: Number(context.runner.runId),
      filter: 'latest',
      per_page: 100,
    })) as WorkflowJob[];
    return jobPhases(jobs);
  } catch (err) {
    const hint = forbidden(err) ? ' (the token needs actions: read)' : '';
    context.log.warning(
      `Phases from the workflow run's jobs are missing${hint}: ${describeError(err)}`,
    );
    return [];
  }
}

function roundTenths(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

/**
 * Measures this deploy, reads its environment's history, judges it, records it, and (for
 * `on-exceeded: issue`) keeps the tracking issue in step. Warnings and failure are the caller's.
 */
export async function runBudget(
  inputs: Inputs,
  clients: Clients,
  context: RunContext,
): Promise<BudgetReport> {
  const [started, run] = await Promise.all([
    inputs.startedAt ?? runStart(clients.octokit, context),
    runPhases(clients.octokit, context),
  ]);
  const now = context.now();
  // A few seconds of clock skew between the runner and GitHub is not a negative deploy.
  if (started > now + 60_000) {
    throw new ActionError(
      `${INPUT.startedAt}: ${new Date(started).toISOString()} is in the future (now is ${new Date(now).toISOString()})`,
    );
  }
  const durationSeconds = Math.max(0, Math.round((now - started) / 1000));
  const wait =
    inputs.waitingSince === undefined ? undefined : approvalWait(inputs.waitingSince, started);
  if (wait && 'problem' in wait) throw new ActionError(`${INPUT.waitingSince}: ${wait.problem}`);
  const measured = inputs.startedAt === undefined ? run : phasesSince(run, started);
  const phases = mergePhases(inputs.phases, wait ? [wait, ...measured] : measured).map((p) => ({
    ...p,
    seconds: roundTenths(p.seconds),
  }));

  let imageBytes: number | undefined;
  if (inputs.image) {
    if (!clients.ecr) throw new Error('an ECR client is needed to read the image size');
    imageBytes = await imageSize(clients.ecr, inputs.image);
  }

  const previous = normalizeHistory(
    await clients.history.read(inputs.environment),
    context.runner.runId,
  );
  const verdict = judge({
    durationSeconds,
    budgetSeconds: inputs.budgetSeconds,
    phases,
    phaseBudgets: inputs.phaseBudgets,
    ...(imageBytes !== undefined ? { imageBytes } : {}),
    ...(inputs.imageBudgetBytes !== undefined ? { imageBudgetBytes: inputs.imageBudgetBytes } : {}),
    previous,
    rules: {
      threshold: inputs.regressionThreshold,
      floorSeconds: inputs.floorSeconds,
      minSamples: inputs.minSamples,
    },
  });
  const runUrl = context.runner.runId
    ? `${context.runner.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runner.runId}`
    : undefined;
  const report: BudgetReport = {
    environment: inputs.environment,
    durationSeconds,
    budgetSeconds: inputs.budgetSeconds,
    startedAt: new Date(started).toISOString(),
    phases,
    phaseBudgets: inputs.phaseBudgets,
    previous,
    verdict,
    historyDescription: clients.history.description,
    ...(inputs.image ? { image: inputs.image.reference } : {}),
    ...(imageBytes !== undefined ? { imageBytes } : {}),
    ...(inputs.imageBudgetBytes !== undefined ? { imageBudgetBytes: inputs.imageBudgetBytes } : {}),
    ...(runUrl ? { runUrl } : {}),
  };

  const record: HistoryRecord = {
    at: new Date(now).toISOString(),
    durationSeconds,
    sha: context.runner.sha,
    budgetSeconds: inputs.budgetSeconds,
    phases: Object.fromEntries(phases.map((p) => [p.name, p.seconds])),
    ...(context.runner.runId ? { runId: context.runner.runId } : {}),
    ...(imageBytes !== undefined ? { imageBytes } : {}),
  };
  await clients.history.append(inputs.environment, record, {
    sha: context.runner.sha,
    description: statusDescription(report),
    ...(runUrl ? { logUrl: runUrl } : {}),
  });

  if (inputs.onExceeded === 'issue') {
    report.issue = await syncTrackingIssue(clients.octokit, context.repo, inputs.environment, {
      exceeded: verdict.exceeded,
      body: renderIssueBody(report),
      recoveredComment: recoveredComment(report),
      exceededAgainComment: exceededAgainComment(report),
    });
  }
  return report;
}
