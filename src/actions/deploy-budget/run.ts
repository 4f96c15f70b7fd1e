import type { ECRClient } from '@aws-sdk/client-ecr';
import type { RunnerContext } from '../../lib/context.ts';
import { currentRepo, type Octokit } from '../../lib/github.ts';
import type { Log } from '../../lib/log.ts';
import type { ActionResult, OutputName } from '../../lib/result.ts';
import { runBudget } from './budget.ts';
import { deploymentsHistory, fileHistory } from './history.ts';
import type { Inputs } from './inputs.ts';
import { OUTPUT } from './names.ts';
import { exceededReasons, renderSummary } from './report.ts';

export interface Deps {
  github: () => Octokit;
  /** An ECR client for the region the image's registry host names (or aws-region if none). */
  ecr: (region: string | undefined) => ECRClient;
  log: Log;
  context: RunnerContext;
  now: () => number;
}

/** Measures the deploy against its budget and history, and says whether the step fails. */
export async function run(
  inputs: Inputs,
  deps: Deps,
): Promise<ActionResult<OutputName<typeof OUTPUT>>> {
  const repo = currentRepo({ GITHUB_REPOSITORY: deps.context.repository });
  const octokit = deps.github();
  const history =
    inputs.history.kind === 'file'
      ? fileHistory(inputs.history.file, inputs.history.path)
      : deploymentsHistory(octokit, repo);
  const ecr = inputs.image ? deps.ecr(inputs.image.region) : undefined;
  const report = await runBudget(
    inputs,
    { octokit, history, ...(ecr ? { ecr } : {}) },
    { repo, runner: deps.context, now: deps.now, log: deps.log },
  );
  const { verdict } = report;
  if (report.issue?.refused) deps.log.warning(report.issue.refused);

  for (const key of verdict.unmatchedPhaseBudgets) {
    const names = report.phases.map((p) => p.name).join(', ') || 'none';
    deps.log.warning(`phase-budgets: no measured phase is called '${key}' (measured: ${names})`);
  }
  deps.log.info(
    `${report.environment}: ${report.durationSeconds}s against a ${inputs.budgetSeconds}s budget; ${verdict.regression.reason}`,
  );
  let failure: string | undefined;
  if (verdict.exceeded) {
    const reasons = exceededReasons(report);
    const where = `Deploy budget for ${report.environment}`;
    if (inputs.onExceeded === 'fail') {
      failure = `${where} exceeded: ${reasons.join('; ')}`;
    } else {
      const issue = report.issue?.issue;
      for (const reason of reasons) {
        deps.log.warning(issue ? `${reason} (tracked in ${issue.url})` : reason, { title: where });
      }
    }
  }

  return {
    outputs: {
      [OUTPUT.durationSeconds]: report.durationSeconds,
      [OUTPUT.overBudget]: verdict.overBudget,
      [OUTPUT.regression]: verdict.regression.regression,
      [OUTPUT.medianSeconds]: verdict.medianSeconds,
      [OUTPUT.p90Seconds]: verdict.p90Seconds,
      [OUTPUT.slowestPhase]: verdict.slowest?.name ?? '',
      [OUTPUT.imageBytes]: report.imageBytes ?? '',
    },
    summary: renderSummary(report),
    ...(failure ? { failure } : {}),
  };
}
