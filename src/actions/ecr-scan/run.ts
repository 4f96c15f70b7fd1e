import type { ECRClient } from '@aws-sdk/client-ecr';
import { eventPayload, type RunnerContext } from '../../lib/context.ts';
import { currentRepo, type Octokit } from '../../lib/github.ts';
import type { Log } from '../../lib/log.ts';
import type { ActionResult, OutputName } from '../../lib/result.ts';
import { failureMessage } from './gate.ts';
import type { Inputs } from './inputs.ts';
import { OUTPUT } from './names.ts';
import { runEcrScan } from './run-scan.ts';
import { renderSummary } from './summary.ts';

export interface Deps {
  ecr: ECRClient;
  /** Called only when tickets or a PR comment need GitHub, so other runs need no token. */
  github: () => Octokit;
  log: Log;
  context: RunnerContext;
  now: () => Date;
}

/** Reads the scan, reports it (tickets, comment, SARIF, findings file), and judges it. */
export async function run(
  inputs: Inputs,
  deps: Deps,
): Promise<ActionResult<OutputName<typeof OUTPUT>>> {
  let octokit: Octokit | undefined;
  const result = await runEcrScan(inputs, {
    ecr: deps.ecr,
    octokit: () => {
      octokit ??= deps.github();
      return octokit;
    },
    repo: () => currentRepo({ GITHUB_REPOSITORY: deps.context.repository }),
    event: { name: deps.context.eventName, payload: eventPayload(deps.context) },
    runner: deps.context,
    now: deps.now(),
    log: deps.log,
  });

  const { counts, tickets, gate } = result;
  const failure = gate.failing.length > 0 ? failureMessage(gate, result.image) : undefined;
  return {
    outputs: {
      [OUTPUT.status]: result.scan.status,
      [OUTPUT.critical]: counts.CRITICAL,
      [OUTPUT.high]: counts.HIGH,
      [OUTPUT.medium]: counts.MEDIUM,
      [OUTPUT.low]: counts.LOW,
      [OUTPUT.informational]: counts.INFORMATIONAL,
      [OUTPUT.undefined]: counts.UNDEFINED,
      [OUTPUT.total]: result.ignore.kept.length + result.ignore.ignored.length,
      [OUTPUT.ignored]: result.ignore.ignored.length,
      [OUTPUT.suppressed]: result.suppressed.length,
      [OUTPUT.failing]: gate.failing.length,
      [OUTPUT.settleSeconds]: Math.round(result.scan.settle.waitedMs / 1000),
      [OUTPUT.ticketsOpened]: tickets?.opened.length ?? 0,
      [OUTPUT.ticketsUpdated]: (tickets?.updated.length ?? 0) + (tickets?.reopened.length ?? 0),
      [OUTPUT.ticketsClosed]: tickets?.closed.length ?? 0,
      [OUTPUT.sarifFile]: result.sarifFile ?? '',
      [OUTPUT.findingsFile]: result.findingsFile,
    },
    summary: renderSummary({
      image: result.image,
      scan: result.scan,
      counts,
      kept: result.ignore.kept,
      ignored: result.ignore.ignored,
      suppressed: result.suppressed,
      expired: result.ignore.expired,
      unmatched: result.ignore.unmatched,
      gate,
      ...(tickets ? { tickets } : {}),
      ...(result.comment ? { comment: result.comment } : {}),
      githubProblems: result.githubProblems,
    }),
    ...(failure ? { failure } : {}),
  };
}
