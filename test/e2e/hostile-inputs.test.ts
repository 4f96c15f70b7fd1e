// Every action, given command syntax in every input, as the runner runs it with step debug on
// (so a failure prints its stack): the step fails with one error annotation, and nothing it prints
// is read by the runner as a command of the input's text.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'vitest';
import { readActionMetadata, repoRoot, runAction } from '../harness/index.ts';
import { stepCommands } from '../harness/runner-commands.ts';

const HOSTILE =
  'x\n::add-mask::hunter2\n::set-output name=status::PASSED\n  ::warning::forged\nsee ##[error]legacy';
// The second of two inputs an action takes one of, left out so the step gets past that check to
// one that reads the value.
const ALTERNATIVES = new Set(['task-definition-family', 'task-definition-arn', 'image-digest']);
const actions = readdirSync(path.join(repoRoot, 'actions')).filter((name) => name !== 'README.md');

describe('hostile text in every input of every action', () => {
  test.concurrent.for(actions)('%s', async (action, { expect }) => {
    const inputs = Object.fromEntries(
      Object.keys(readActionMetadata(action).inputs)
        .filter((name) => !ALTERNATIVES.has(name))
        .map((name) => [name, HOSTILE]),
    );
    const result = await runAction(action, {
      inputs,
      env: { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1', AWS_REGION: 'us-east-1' },
      post: false,
    });
    expect(result.exitCode).toBe(1);
    const commands = stepCommands(result);
    expect(commands.filter((c) => c.command === 'error')).toHaveLength(1);
    expect(commands.map((c) => c.command).filter((c) => c !== 'error' && c !== 'debug')).toEqual(
      [],
    );
    // The value did reach the log (the error names the input's value), as text.
    expect(result.stdout).toContain('hunter2');
    expect(result.masks).toEqual([]);
  });
});
