import * as core from '@actions/core';
import { ECRClient } from '@aws-sdk/client-ecr';
import { createAwsClient } from '../../lib/aws.ts';
import { ActionError } from '../../lib/errors.ts';
import { createOctokit, currentRepo } from '../../lib/github.ts';
import { runBudget } from './budget.ts';
import { deploymentsHistory, fileHistory } from './history.ts';
import { getInputs } from './inputs.ts';
import { OUTPUT } from './names.ts';
import { exceededReasons, renderSummary } from './report.ts';

export async function main(): Promise<void> {
  const inputs = getInputs();
  const repo = currentRepo();
  const octokit = createOctokit(inputs.githubToken, { log: core.info });
  const history =
    inputs.history.kind === 'file'
      ? fileHistory(inputs.history.file, inputs.history.path)
      : deploymentsHistory(octokit, repo);
  // The registry host names the repository's region; aws-region is for hosts that do not.
  const ecr = inputs.image
    ? createAwsClient(ECRClient, {
        ...inputs.aws,
        ...(inputs.image.region ? { region: inputs.image.region } : {}),
      })
    : undefined;

  const runId = process.env.GITHUB_RUN_ID;
  const report = await runBudget(
    inputs,
    { octokit, history, ...(ecr ? { ecr } : {}) },
    {
      repo,
      ...(runId ? { runId } : {}),
      sha: process.env.GITHUB_SHA ?? '',
      serverUrl: process.env.GITHUB_SERVER_URL || 'https://github.com',
      now: Date.now,
      warn: (message) => core.warning(message),
    },
  );
  const { verdict } = report;

  core.setOutput(OUTPUT.durationSeconds, report.durationSeconds);
  core.setOutput(OUTPUT.overBudget, verdict.overBudget);
  core.setOutput(OUTPUT.regression, verdict.regression.regression);
  core.setOutput(OUTPUT.medianSeconds, verdict.medianSeconds);
  core.setOutput(OUTPUT.p90Seconds, verdict.p90Seconds);
  core.setOutput(OUTPUT.slowestPhase, verdict.slowest?.name ?? '');
  core.setOutput(OUTPUT.imageBytes, report.imageBytes ?? '');
  await core.summary.addRaw(renderSummary(report)).write();

  for (const key of verdict.unmatchedPhaseBudgets) {
    const names = report.phases.map((p) => p.name).join(', ') || 'none';
    core.warning(`phase-budgets: no measured phase is called '${key}' (measured: ${names})`);
  }
  core.info(
    `${report.environment}: ${report.durationSeconds}s against a ${inputs.budgetSeconds}s budget; ${verdict.regression.reason}`,
  );
  if (!verdict.exceeded) return;

  const reasons = exceededReasons(report);
  const where = `Deploy budget for ${report.environment}`;
  if (inputs.onExceeded === 'fail') {
    throw new ActionError(`${where} exceeded: ${reasons.join('; ')}`);
  }
  const issue = report.issue?.issue;
  for (const reason of reasons) {
    core.warning(issue ? `${reason} (tracked in ${issue.url})` : reason, { title: where });
  }
}
