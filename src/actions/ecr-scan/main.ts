import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { ECRClient } from '@aws-sdk/client-ecr';
import { createAwsClient } from '../../lib/aws.ts';
import { ActionError } from '../../lib/errors.ts';
import { createOctokit, currentRepo, type Octokit } from '../../lib/github.ts';
import { workspaceDir } from '../../lib/inputs.ts';
import { getInputs } from './inputs.ts';
import { OUTPUT } from './names.ts';
import { runEcrScan } from './run-scan.ts';
import { failureMessage, renderSummary } from './summary.ts';

function readEvent(): Record<string, unknown> {
  const file = process.env.GITHUB_EVENT_PATH;
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function main(): Promise<void> {
  const inputs = getInputs();
  const ecr = createAwsClient(ECRClient, inputs.aws);
  let octokit: Octokit | undefined;
  const result = await runEcrScan(inputs, {
    ecr,
    octokit: () => {
      octokit ??= createOctokit(inputs.githubToken, { log: (m) => core.info(m) });
      return octokit;
    },
    repo: () => currentRepo(),
    event: { name: process.env.GITHUB_EVENT_NAME ?? '', payload: readEvent() },
    workspace: workspaceDir(),
    runnerTemp: process.env.RUNNER_TEMP || tmpdir(),
    now: new Date(),
    info: (m) => core.info(m),
    warning: (m) => core.warning(m),
  });

  const { counts, tickets } = result;
  core.setOutput(OUTPUT.status, result.scan.status);
  core.setOutput(OUTPUT.critical, counts.CRITICAL);
  core.setOutput(OUTPUT.high, counts.HIGH);
  core.setOutput(OUTPUT.medium, counts.MEDIUM);
  core.setOutput(OUTPUT.low, counts.LOW);
  core.setOutput(OUTPUT.informational, counts.INFORMATIONAL);
  core.setOutput(OUTPUT.undefined, counts.UNDEFINED);
  core.setOutput(OUTPUT.total, result.scan.findings.length);
  core.setOutput(OUTPUT.ignored, result.ignore.ignored.length);
  core.setOutput(OUTPUT.ticketsOpened, tickets?.opened.length ?? 0);
  core.setOutput(
    OUTPUT.ticketsUpdated,
    (tickets?.updated.length ?? 0) + (tickets?.reopened.length ?? 0),
  );
  core.setOutput(OUTPUT.ticketsClosed, tickets?.closed.length ?? 0);
  core.setOutput(OUTPUT.sarifFile, result.sarifFile ?? '');
  core.setOutput(OUTPUT.findingsFile, result.findingsFile);

  await core.summary
    .addRaw(
      renderSummary({
        image: result.image,
        scan: result.scan,
        counts,
        kept: result.ignore.kept,
        ignored: result.ignore.ignored,
        expired: result.ignore.expired,
        unmatched: result.ignore.unmatched,
        failOn: inputs.failOn,
        failing: result.failing,
        ...(tickets ? { tickets } : {}),
        ...(result.comment ? { comment: result.comment } : {}),
      }),
    )
    .write();

  if (inputs.failOn !== 'none' && result.failing.length > 0) {
    throw new ActionError(failureMessage(result.failing, inputs.failOn, result.image));
  }
}
