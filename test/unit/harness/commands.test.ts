import { describe, expect, test } from 'vitest';
import { inputEnvName, parseFileCommands, parseStdoutCommands } from '../../harness/index.ts';

describe('the harness reads what an action wrote as the runner does', () => {
  test('input names become INPUT_ variables: upper-cased, spaces to _, hyphens kept', () => {
    expect(inputEnvName('task-definition')).toBe('INPUT_TASK-DEFINITION');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });
  test('output files hold key=value lines and heredoc blocks', () => {
    const text =
      'family=web\nimages<<ghadelimiter_1\n{"web":"x"}\nsecond line\nghadelimiter_1\nempty=\n';
    expect(parseFileCommands(text)).toEqual({
      family: 'web',
      images: '{"web":"x"}\nsecond line',
      empty: '',
    });
  });
  test('an unterminated heredoc is an error, not a silent truncation', () => {
    expect(() => parseFileCommands('a<<EOF\nvalue\n')).toThrow(/unterminated a<<EOF/);
  });
  test('annotations, masks and groups are read from stdout and masks applied to the log', () => {
    const stdout = [
      '::add-mask::hunter2',
      '::group::Register',
      'password is hunter2',
      '::endgroup::',
      '::warning file=td.json,line=3::stale entry%0Asecond line',
      '::error::deploy failed%3A no',
      'plain line',
    ].join('\n');
    const parsed = parseStdoutCommands(stdout);
    expect(parsed.masks).toEqual(['hunter2']);
    expect(parsed.annotations).toEqual([
      {
        level: 'warning',
        message: 'stale entry\nsecond line',
        properties: { file: 'td.json', line: '3' },
      },
      { level: 'error', message: 'deploy failed%3A no', properties: {} },
    ]);
    expect(parsed.log).toContain('password is ***');
    expect(parsed.log).not.toContain('hunter2');
    expect(parsed.log).toContain('▶ Register');
  });
});
