// main.ts is the runner edge alone: what it writes comes from run's result, what run gets comes
// from the inputs, and the post step hands main's saved state to runPost.
import * as core from '@actions/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/actions/layer-cache/main.ts';
import { INPUT, OUTPUT, STATE } from '../../../src/actions/layer-cache/names.ts';
import {
  type LayerCacheResult,
  run,
  runPost,
  type SaveState,
} from '../../../src/actions/layer-cache/run.ts';

vi.mock('@actions/core', () => {
  const summary = { addRaw: vi.fn(), write: vi.fn(async () => summary) };
  summary.addRaw.mockReturnValue(summary);
  return {
    getInput: vi.fn(),
    getState: vi.fn(),
    saveState: vi.fn(),
    setOutput: vi.fn(),
    setSecret: vi.fn(),
    info: vi.fn(),
    warning: vi.fn(),
    debug: vi.fn(),
    startGroup: vi.fn(),
    endGroup: vi.fn(),
    summary,
  };
});

vi.mock('../../../src/actions/layer-cache/run.ts', async (original) => ({
  ...(await original<typeof import('../../../src/actions/layer-cache/run.ts')>()),
  run: vi.fn(),
  runPost: vi.fn(),
}));

const save: SaveState = {
  cacheDir: '/store',
  stagingRoot: '/runner/temp/fargate-delivery-layer-cache',
  blobs: [{ digest: `sha256:${'c'.repeat(64)}`, size: 42 }],
};

const result = {
  outputs: {
    [OUTPUT.digests]: '{"web:v1":"sha256:abc"}',
    [OUTPUT.layersTotal]: 5,
    [OUTPUT.layersFromCache]: 4,
    [OUTPUT.layersFromRegistry]: 1,
    [OUTPUT.bytesFromCache]: 4000,
    [OUTPUT.bytesFromRegistry]: 1000,
    [OUTPUT.cacheHit]: 'partial',
    [OUTPUT.ociDir]: '/runner/temp/oci',
  },
  summary: '### Layer cache\n',
  save,
} as LayerCacheResult;

function runnerWith(inputs: Record<string, string>, state: Record<string, string> = {}) {
  vi.mocked(core.getInput).mockImplementation((name) => inputs[name] ?? '');
  vi.mocked(core.getState).mockImplementation((name) => state[name] ?? '');
}

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(run).mockResolvedValue(result);
  vi.stubEnv('RUNNER_TEMP', '/runner/temp');
});

describe('the main step', () => {
  it('hands run the typed inputs and writes exactly the outputs, state and summary run returned', async () => {
    runnerWith({ [INPUT.images]: '127.0.0.1:5000/web:v1', [INPUT.output]: 'none' });

    await main();

    expect(run).toHaveBeenCalledTimes(1);
    const [inputs, deps] = vi.mocked(run).mock.calls[0]!;
    expect(inputs.images.map((i) => i.ref)).toEqual([
      { registry: '127.0.0.1:5000', repository: 'web', tag: 'v1' },
    ]);
    expect(inputs.output).toBe('none');
    expect(deps.tempDir).toBe('/runner/temp');
    expect(Object.fromEntries(vi.mocked(core.setOutput).mock.calls)).toEqual(result.outputs);
    expect(vi.mocked(core.saveState).mock.calls).toEqual([
      [STATE.isPost, 'true'],
      [STATE.saveBlobs, JSON.stringify(save)],
    ]);
    expect(core.summary.addRaw).toHaveBeenCalledWith(result.summary);
    expect(core.summary.write).toHaveBeenCalled();
    expect(runPost).not.toHaveBeenCalled();
  });

  it('saves no blobs for post when run fetched none to save', async () => {
    runnerWith({ [INPUT.images]: '127.0.0.1:5000/web:v1' });
    vi.mocked(run).mockResolvedValue({ ...result, save: undefined } as unknown as LayerCacheResult);

    await main();

    expect(vi.mocked(core.saveState).mock.calls).toEqual([[STATE.isPost, 'true']]);
  });

  it('masks secrets through the runner', async () => {
    runnerWith({ [INPUT.images]: '127.0.0.1:5000/web:v1' });

    await main();
    vi.mocked(run).mock.calls[0]![1].mask('s3cret');

    expect(core.setSecret).toHaveBeenCalledWith('s3cret');
  });

  it('a bad input fails before run is called', async () => {
    runnerWith({ [INPUT.images]: '127.0.0.1:5000/web:v1', [INPUT.output]: 'tarball' });

    await expect(main()).rejects.toThrow(/^output: /);
    expect(run).not.toHaveBeenCalled();
    expect(core.setOutput).not.toHaveBeenCalled();
  });
});

describe('the post step', () => {
  it('hands the state main saved to runPost and writes no outputs', async () => {
    runnerWith({}, { [STATE.isPost]: 'true', [STATE.saveBlobs]: JSON.stringify(save) });

    await main();

    expect(runPost).toHaveBeenCalledWith(save, expect.anything());
    expect(run).not.toHaveBeenCalled();
    expect(core.setOutput).not.toHaveBeenCalled();
  });

  it('does nothing when main saved nothing', async () => {
    runnerWith({}, { [STATE.isPost]: 'true' });

    await main();

    expect(runPost).not.toHaveBeenCalled();
    expect(run).not.toHaveBeenCalled();
  });
});
