// The entry every action runs through, as a process: whatever the failure, one annotation on
// stdout and exit code 1, and nothing the runner would read as a command of the error's text.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from '../../harness/index.ts';
import { stepCommands } from '../../harness/runner-commands.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'run-action-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOSTILE = 'pkg\\n::add-mask::hunter2\\n::set-output name=status::PASSED';

function runEntry(body: string, env: Record<string, string> = {}) {
  const script = path.join(dir, `entry-${Math.random().toString(36).slice(2)}.ts`);
  const run = path.join(repoRoot, 'src/lib/run.ts');
  writeFileSync(
    script,
    `import { runAction } from ${JSON.stringify(run)};\nawait runAction(async () => {\n${body}\n});\n`,
  );
  const node = path.join(repoRoot, 'node_modules/.bin/node');
  const { PATH } = process.env;
  return spawnSync(node, [script], { encoding: 'utf8', env: { PATH: PATH ?? '', ...env } });
}

test.each([
  ['a thrown error, with step debug on', `throw new Error('${HOSTILE}');`],
  [
    'an error thrown later, outside the awaited chain',
    `setTimeout(() => { throw new Error('${HOSTILE}'); }, 0);`,
  ],
  ['a promise rejected and never awaited', `void Promise.reject(new Error('${HOSTILE}'));`],
])('%s: one error annotation, exit code 1', (_, body) => {
  const child = runEntry(body, { ACTIONS_STEP_DEBUG: 'true' });
  expect(child.status).toBe(1);
  expect(stepCommands(child).map((c) => c.command)).toEqual(['error']);
  expect(child.stdout).toContain('hunter2');
});
