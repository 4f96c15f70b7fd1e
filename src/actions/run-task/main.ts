import { randomBytes, randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { createAwsClient, readAwsOptions, resolveRegion } from '../../lib/aws.ts';
import { runnerContext } from '../../lib/context.ts';
import { ActionError, describeError } from '../../lib/errors.ts';
import { actionInputs } from '../../lib/inputs.ts';
import { actionsLog } from '../../lib/log.ts';
import { cancellation } from './cancellation.ts';
import { getInputs } from './inputs.ts';
import { untrustedBlock } from './logs.ts';
import { OUTPUT, STATE } from './names.ts';
import { cleanUp, parseSavedRun, type SavedRun } from './post.ts';
import { type RunTaskResult, run } from './run.ts';
import { renderErrorSummary, renderSummary } from './summary.ts';

function writeOutputs(result: RunTaskResult | undefined, taskArns: string[]): void {
  core.setOutput(OUTPUT.taskArns, JSON.stringify(result?.tasks.map((t) => t.arn) ?? taskArns));
  core.setOutput(OUTPUT.exitCode, result?.exitCode === undefined ? '' : String(result.exitCode));
  core.setOutput(OUTPUT.stoppedReason, result?.stoppedReason ?? '');
  core.setOutput(OUTPUT.durationSeconds, String(result?.durationSeconds ?? 0));
  core.setOutput(OUTPUT.logUrl, result?.logUrl ?? '');
  core.setOutput(OUTPUT.taskDefinitionArn, result?.taskDefinitionArn ?? '');
}

function printUntrusted(lines: string[]): void {
  for (const line of untrustedBlock(lines)) core.info(line);
}

/** The entry of both steps: `post:` runs the same bundle with the state main saved. */
export async function main(): Promise<void> {
  if (core.getState(STATE.isPost) === 'true') {
    await post();
    return;
  }
  core.saveState(STATE.isPost, 'true');
  let taskArns: string[] = [];
  let result: RunTaskResult;
  try {
    result = await start((arns) => {
      taskArns = arns;
      core.saveState(STATE.taskArns, JSON.stringify(arns));
    });
  } catch (err) {
    // A bad input, a refused request, a crash: the outputs and summary still say what happened.
    writeOutputs(undefined, taskArns);
    await core.summary.addRaw(renderErrorSummary(describeError(err))).write();
    throw err;
  }
  // A task whose StopTask failed stays the post step's to stop.
  if (result.settled) core.saveState(STATE.settled, 'true');
  writeOutputs(result, taskArns);
  await core.summary.addRaw(renderSummary(result)).write();
  if (result.status !== 'succeeded') throw new ActionError(result.message);
  core.notice(result.message);
}

async function start(onStarted: (arns: string[]) => void): Promise<RunTaskResult> {
  const inputs = getInputs();
  const region = resolveRegion(inputs.aws.region);
  const ecs = createAwsClient(ECSClient, inputs.aws);
  const logsClients = new Map<string, CloudWatchLogsClient>();
  const logs = (logRegion: string) => {
    let client = logsClients.get(logRegion);
    if (client === undefined) {
      client = createAwsClient(CloudWatchLogsClient, { ...inputs.aws, region: logRegion });
      logsClients.set(logRegion, client);
    }
    return client;
  };
  const startedBy = `fd-run-task-${runnerContext().runId ?? 'local'}-${randomBytes(4).toString('hex')}`;
  const saved: SavedRun = { cluster: inputs.cluster, region, startedBy, onCancel: inputs.onCancel };
  core.saveState(STATE.run, JSON.stringify(saved));
  const cancel = cancellation((name) =>
    actionsLog.info(
      `Received ${name}: ${inputs.onCancel === 'rollback' ? 'stopping the task' : 'leaving the task running (on-cancel: leave)'}`,
    ),
  );
  try {
    return await run(inputs, {
      ecs,
      logs,
      log: actionsLog,
      printUntrusted,
      region,
      signal: cancel.signal,
      startedBy,
      clientToken: randomUUID(),
      onStarted,
    });
  } finally {
    cancel.dispose();
  }
}

async function post(): Promise<void> {
  const saved = parseSavedRun(core.getState(STATE.run));
  if (saved === undefined || core.getState(STATE.settled) === 'true') {
    core.debug('run-task post: the main step dealt with its tasks; nothing to do');
    return;
  }
  const ecs = createAwsClient(ECSClient, { ...readAwsOptions(actionInputs), region: saved.region });
  let known: string[] = [];
  try {
    known = JSON.parse(core.getState(STATE.taskArns) || '[]') as string[];
  } catch {
    known = [];
  }
  const result = await cleanUp(saved, known, { ecs, log: actionsLog });
  if (result.message === undefined) return;
  await core.summary.addRaw(`### ⚠️ run-task post step\n\n> ${result.message}\n`).write();
  core.warning(result.message);
}
