import { describe, expect, test } from 'vitest';
import { parseCommand } from '../../../src/lib/command.ts';

describe('the command input', () => {
  test.each<[string, string[]]>([
    ['node server.js', ['node', 'server.js']],
    ['  npm   run  start  ', ['npm', 'run', 'start']],
    [`sh -c 'echo $HOME && exec "$@"'`, ['sh', '-c', 'echo $HOME && exec "$@"']],
    ['echo "a \\"quoted\\" word" end', ['echo', 'a "quoted" word', 'end']],
    ['printf "%s\\n" x', ['printf', '%s\\n', 'x']],
    ['grep -e a\\ b file', ['grep', '-e', 'a b', 'file']],
    ["say '' done", ['say', '', 'done']],
    ['pre"mid"\'end\' next', ['premidend', 'next']],
    ['node \\\n  server.js', ['node', 'server.js']],
    [
      '["node", "--max-old-space-size=512", "server.js"]',
      ['node', '--max-old-space-size=512', 'server.js'],
    ],
    ['["sh", "-c", "echo \'hi\'"]', ['sh', '-c', "echo 'hi'"]],
  ])('%s → %j', (raw, words) => {
    expect(parseCommand('command', raw)).toEqual(words);
  });

  test.each([
    [`sh -c 'echo hi`, 'command: unterminated single quote (opened at character 7)'],
    ['echo "hi', 'command: unterminated double quote (opened at character 6)'],
    ['echo hi\\', 'command: ends with a backslash that escapes nothing'],
    ['[1, 2]', 'command: a JSON command must be an array of strings, like ["npm", "start"]'],
    ['[]', 'command: the JSON array is empty'],
  ])('%s is refused', (raw, message) => {
    expect(() => parseCommand('command', raw)).toThrow(message);
  });
});
