// Runs the sandbox (a simulator of ECS, ECR, CodeDeploy and the GitHub API) until stopped:
//
//   node_modules/.bin/node test/sandbox/cli.ts <scenario.yaml | name> [--speed N] [--port N]
//
// Prints KEY=value lines (dotenv format) on stdout for the processes that should use it, and
// what it is doing on stderr.

import { parseArgs } from 'node:util';
import { start } from './index.ts';

const USAGE = 'usage: node test/sandbox/cli.ts <scenario.yaml | name> [--speed N] [--port N]';

function positiveNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      speed: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  const scenario = positionals[0];
  if (values.help || scenario === undefined || positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const speed = positiveNumber(values.speed, 'speed');
  const port = positiveNumber(values.port, 'port');
  const sandbox = await start(scenario, {
    ...(speed !== undefined ? { speed } : {}),
    ...(port !== undefined ? { port } : {}),
  });
  const name = sandbox.scenario.name ?? scenario;
  process.stderr.write(
    `sandbox (simulated AWS + GitHub) for scenario ${name} at ${sandbox.endpoint}, ` +
      `speed ${sandbox.clock.speed}x; Ctrl-C to stop\n` +
      // The AWS CLI reads AWS_ENDPOINT_URL from version 2.13 on; Debian's is older.
      `AWS CLI: aws --endpoint-url ${sandbox.endpoint} ecs list-services --cluster <name>\n`,
  );
  for (const [key, value] of Object.entries(sandbox.env)) process.stdout.write(`${key}=${value}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: stopping sandbox after ${sandbox.calls.length} calls\n`);
    sandbox.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
