// main is only the edge: it reads the inputs, hands them to run, and writes exactly what run
// returns. The runner's side is a stand-in for @actions/core; run is the real one, watched.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { getInputs } from '../../../src/actions/render-task-definition/inputs.ts';
import { main } from '../../../src/actions/render-task-definition/main.ts';
import { run } from '../../../src/actions/render-task-definition/run.ts';
import { runnerContext } from '../../../src/lib/context.ts';
import { mapInputs } from '../../../src/lib/inputs.ts';
import { actionsLog } from '../../../src/lib/log.ts';
import { recorded, resetCore } from '../lib/fake-core.ts';

vi.mock('@actions/core', () => import('../lib/fake-core.ts'));
vi.mock('../../../src/actions/render-task-definition/run.ts', async (importOriginal) => {
  const actual =
    await importOriginal<typeof import('../../../src/actions/render-task-definition/run.ts')>();
  return { run: vi.fn(actual.run) };
});

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'render-main-'));
  cpSync(
    path.join(import.meta.dirname, '../../fixtures/render-task-definition/fargate-web.json'),
    path.join(dir, 'workspace/td.json'),
  );
  vi.stubEnv('GITHUB_WORKSPACE', path.join(dir, 'workspace'));
  vi.stubEnv('RUNNER_TEMP', dir);
  vi.stubEnv('GITHUB_STEP_SUMMARY', path.join(dir, 'summary.md'));
  vi.mocked(run).mockClear();
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

describe('render-task-definition main', () => {
  test('calls run with the typed inputs and writes exactly the outputs and summary it returns', async () => {
    const values = {
      'task-definition': 'td.json',
      'container-name': 'web',
      image: 'nginx:1.27',
      'environment-variables': 'LOG_LEVEL=debug',
    };
    resetCore(values);
    await main();

    expect(run).toHaveBeenCalledTimes(1);
    const [inputs, deps] = vi.mocked(run).mock.calls[0]!;
    expect(inputs).toEqual(getInputs(mapInputs(values), path.join(dir, 'workspace')));
    expect(deps.log).toBe(actionsLog);
    expect(deps.context).toEqual(runnerContext());

    const result = await vi.mocked(run).mock.results[0]!.value;
    expect(recorded.outputs).toEqual(Object.entries(result.outputs));
    expect(recorded.summaries).toEqual([result.summary]);
    // What run returned is real: the rendered file under RUNNER_TEMP with the new image.
    const file = String(result.outputs['task-definition']);
    expect(file.startsWith(dir)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).containerDefinitions[0].image).toBe('nginx:1.27');
  });

  test('a bad input stops main before run: no outputs, no summary', async () => {
    resetCore({ 'task-definition': 'td.json', cpu: 'lots' });
    await expect(main()).rejects.toThrow(/^cpu: 'lots' is not an amount/);
    expect(run).not.toHaveBeenCalled();
    expect(recorded.outputs).toEqual([]);
    expect(recorded.summaries).toEqual([]);
  });
});
