import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { actionsLog } from '../../../src/lib/log.ts';
import { reportFailure } from '../../../src/lib/run.ts';
import { plainText } from '../../../src/lib/stdout.ts';
import { parseStdoutCommands } from '../../harness/index.ts';
import { runnerCommands } from '../../harness/runner-commands.ts';

// Text a pull request can put in a package name, a finding id or an error message.
const HOSTILE = [
  'CVE-1\n::error::forged annotation',
  'pkg\r::add-mask::hunter2',
  'pkg\r\n::set-output name=status::PASSED',
  'a\n   \t::warning::indented',
  'a\n\u00a0\u2003::notice::after no-break and em spaces',
  'a\n\u0085::error::after NEL, which .NET trims and JavaScript does not',
  'a\n\u2028::error::after a line separator',
  'a\nsome text ##[error]legacy form anywhere in a line',
  'a\n##[add-mask]hunter2',
  '::stop-commands::tok\n::error::x\n::tok::\n::error::after resume',
  '::foo::##[set-output name=x]y',
  'a\n::ERROR::upper case',
  'a\n::group::g\n::endgroup::',
];

describe('plainText: no line of it is a workflow command', () => {
  test.each(HOSTILE)('%j', (text) => {
    expect(runnerCommands(text).length).toBeGreaterThan(0);
    expect(runnerCommands(plainText(text))).toEqual([]);
    expect(parseStdoutCommands(plainText(text)).annotations).toEqual([]);
    expect(parseStdoutCommands(plainText(text)).masks).toEqual([]);
  });

  test('text without command syntax prints unchanged, line breaks and all', () => {
    const text =
      'Scan COMPLETE: 12 findings\narn:aws:iam::123456789012:role/deploy\n  at run (file.ts:1:2)\r\n100% done';
    expect(plainText(text)).toBe(text);
  });

  test('what was escaped still reads as what it was', () => {
    expect(plainText('CVE-1\n::error::x')).toBe('CVE-1\n%3A:error::x');
    expect(plainText('see ##[group]x')).toBe('see ##%5Bgroup]x');
  });
});

describe('the log edge prints plain lines through plainText', () => {
  let stdout: string;
  beforeEach(() => {
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
  });

  test('every Log method, with hostile text, writes no command but its own', () => {
    for (const text of HOSTILE) {
      actionsLog.info(text);
      actionsLog.warning(text, { title: text });
      actionsLog.debug(text);
      actionsLog.startGroup(text);
      actionsLog.endGroup();
    }
    const commands = runnerCommands(stdout).map((c) => c.command);
    expect(new Set(commands)).toEqual(new Set(['warning', 'debug', 'group', 'endgroup']));
    expect(commands.filter((c) => c === 'warning')).toHaveLength(HOSTILE.length);
  });

  test('a failure with step debug on: one error annotation, and its stack is plain text', () => {
    vi.stubEnv('ACTIONS_STEP_DEBUG', 'true');
    const err = new Error('package pkg\n::add-mask::hunter2\n::set-output name=x::y');
    reportFailure(err);
    expect(stdout).toContain('at ');
    expect(runnerCommands(stdout).map((c) => c.command)).toEqual(['error']);
    expect(process.exitCode).toBe(1);
  });
});
