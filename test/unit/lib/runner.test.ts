import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import * as runner from '../../../src/lib/runner.ts';
import { parseFileCommands, parseStdoutCommands } from '../../harness/index.ts';

const TRICKY = [
  'plain',
  '',
  'two\nlines',
  'windows\r\nline',
  '100% done, 50%25 left',
  'key: value, other: thing',
  '::error::not a command',
  'name<<EOF\nEOF\nafter',
  'trailing newline\n',
];

let dir: string;
let stdout: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'runner-test-'));
  stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function commandFile(variable: string): string {
  const file = path.join(dir, variable.toLowerCase());
  writeFileSync(file, '');
  vi.stubEnv(variable, file);
  return file;
}

describe('inputs and state come from the environment the runner sets', () => {
  test('an input is read from INPUT_<NAME>, upper-cased with spaces as underscores, trimmed', () => {
    vi.stubEnv('INPUT_CACHE-DIR', '  /mnt/cache \n');
    vi.stubEnv('INPUT_MY_INPUT', 'spaced');
    expect(runner.getInput('cache-dir')).toBe('/mnt/cache');
    expect(runner.getInput('my input')).toBe('spaced');
  });

  test('an input the workflow did not set reads as empty', () => {
    expect(runner.getInput('never-set-by-anyone')).toBe('');
  });

  test('state saved by the main step is read back from STATE_<name> in the post step', () => {
    vi.stubEnv('STATE_isPost', 'true');
    expect(runner.getState('isPost')).toBe('true');
    expect(runner.getState('missing')).toBe('');
  });
});

describe('outputs and state reach the runner intact, whatever they contain', () => {
  test('every tricky value survives GITHUB_OUTPUT as the runner parses it', () => {
    const file = commandFile('GITHUB_OUTPUT');
    TRICKY.forEach((value, i) => {
      runner.setOutput(`out${i}`, value);
    });
    const outputs = parseFileCommands(readFileSync(file, 'utf8'));
    expect(outputs).toEqual(Object.fromEntries(TRICKY.map((v, i) => [`out${i}`, v])));
    expect(stdout).toBe('');
  });

  test('numbers and objects are written as JSON, nothing as empty', () => {
    const file = commandFile('GITHUB_OUTPUT');
    runner.setOutput('count', 7);
    runner.setOutput('map', { 'a:b': 'c,d' });
    runner.setOutput('none', undefined);
    expect(parseFileCommands(readFileSync(file, 'utf8'))).toEqual({
      count: '7',
      map: '{"a:b":"c,d"}',
      none: '',
    });
  });

  test('each value gets its own random delimiter, so one value cannot end another early', () => {
    const file = commandFile('GITHUB_OUTPUT');
    runner.setOutput('a', 'x');
    runner.setOutput('b', 'y');
    const delimiters = readFileSync(file, 'utf8').match(/ghadelimiter_[0-9a-f-]{36}/g) ?? [];
    expect(delimiters).toHaveLength(4);
    expect(new Set(delimiters).size).toBe(2);
  });

  test('saved state goes to GITHUB_STATE the same way', () => {
    const file = commandFile('GITHUB_STATE');
    runner.saveState('saveBlobs', '{"blobs":[]}\nsecond line');
    expect(parseFileCommands(readFileSync(file, 'utf8'))).toEqual({
      saveBlobs: '{"blobs":[]}\nsecond line',
    });
  });

  test('a command file the runner named but that is missing is an error, not a lost output', () => {
    vi.stubEnv('GITHUB_OUTPUT', path.join(dir, 'gone'));
    expect(() => runner.setOutput('a', 'b')).toThrow(
      /GITHUB_OUTPUT names a file that does not exist/,
    );
  });

  test('without command files, outputs fall back to the stdout command older runners read', () => {
    vi.stubEnv('GITHUB_OUTPUT', '');
    runner.setOutput('digest', 'sha256:abc');
    expect(stdout).toContain('::set-output name=digest::sha256:abc');
  });
});

describe('log lines, annotations and masks as the runner reads them from stdout', () => {
  test('annotation messages survive escaping: percent signs, colons, commas and line breaks', () => {
    for (const message of TRICKY) {
      runner.error(message);
      runner.warning(message);
      runner.notice(message);
    }
    const { annotations } = parseStdoutCommands(stdout);
    expect(annotations.map((a) => [a.level, a.message])).toEqual(
      TRICKY.flatMap((m) => [
        ['error', m],
        ['warning', m],
        ['notice', m],
      ]),
    );
  });

  test('annotation properties survive escaping of colons and commas', () => {
    runner.warning('look here', {
      title: 'a: b, c',
      file: 'dir,1/task: def.json',
      startLine: 3,
      endLine: 4,
      startColumn: 5,
      endColumn: 6,
    });
    const [annotation] = parseStdoutCommands(stdout).annotations;
    expect(annotation).toEqual({
      level: 'warning',
      message: 'look here',
      properties: {
        title: 'a: b, c',
        file: 'dir,1/task: def.json',
        line: '3',
        endLine: '4',
        col: '5',
        endColumn: '6',
      },
    });
  });

  test('an Error is reported with its name and message', () => {
    runner.error(new TypeError('bad thing'));
    expect(parseStdoutCommands(stdout).annotations).toEqual([
      { level: 'error', message: 'TypeError: bad thing', properties: {} },
    ]);
  });

  test('a secret is masked in every later log line, even one spanning lines', () => {
    runner.setSecret('p%ss:w,rd\nline2');
    runner.info('token is p%ss:w,rd\nline2 here');
    const parsed = parseStdoutCommands(stdout);
    expect(parsed.masks).toEqual(['p%ss:w,rd\nline2']);
    expect(parsed.log).toContain('token is *** here');
    expect(parsed.log).not.toContain('p%ss');
  });

  test('info is a plain log line; debug is a debug command', () => {
    runner.info('Pulled 7 layers: 100% from cache');
    runner.debug('request 1: 200 OK');
    const parsed = parseStdoutCommands(stdout);
    expect(parsed.log).toContain('Pulled 7 layers: 100% from cache');
    expect(parsed.annotations).toEqual([
      { level: 'debug', message: 'request 1: 200 OK', properties: {} },
    ]);
  });

  test('a group folds the lines between its start and end', () => {
    runner.startGroup('Resolving manifests');
    runner.info('inside');
    runner.endGroup();
    expect(stdout.split('\n')).toEqual([
      '::group::Resolving manifests',
      'inside',
      '::endgroup::',
      '',
    ]);
    expect(parseStdoutCommands(stdout).log).toBe('▶ Resolving manifests\ninside\n');
  });

  test('setFailed reports one error annotation and makes the step exit with 1', () => {
    runner.setFailed('images: is required');
    expect(parseStdoutCommands(stdout).annotations).toEqual([
      { level: 'error', message: 'images: is required', properties: {} },
    ]);
    expect(process.exitCode).toBe(1);
  });

  test('debug mode is RUNNER_DEBUG=1', () => {
    vi.stubEnv('RUNNER_DEBUG', '1');
    expect(runner.isDebug()).toBe(true);
    vi.stubEnv('RUNNER_DEBUG', '0');
    expect(runner.isDebug()).toBe(false);
  });
});

describe('the job summary', () => {
  test('Markdown is appended to GITHUB_STEP_SUMMARY after what earlier steps wrote', () => {
    const file = commandFile('GITHUB_STEP_SUMMARY');
    writeFileSync(file, '# earlier step\n');
    runner.appendSummary('### Layer cache\n\n| a | b |\n');
    runner.appendSummary('more\n');
    expect(readFileSync(file, 'utf8')).toBe('# earlier step\n### Layer cache\n\n| a | b |\nmore\n');
  });

  test('without a summary file the summary is skipped with a debug line, not a failure', () => {
    vi.stubEnv('GITHUB_STEP_SUMMARY', '');
    runner.appendSummary('### Layer cache\n');
    expect(parseStdoutCommands(stdout).annotations).toEqual([
      {
        level: 'debug',
        message: 'GITHUB_STEP_SUMMARY is not set: no job summary written',
        properties: {},
      },
    ]);
  });
});
