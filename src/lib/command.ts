import { InputError } from './errors.ts';

/**
 * The `command` input: a JSON array of strings, or a shell-like string split into words the way
 * a POSIX shell would split it (single quotes literal, double quotes with \" \\ \$ \` escapes,
 * a backslash escaping the next character, backslash-newline joining lines). Nothing is
 * expanded: `$HOME` stays `$HOME`, because ECS passes the words to the container as they are.
 */
export function parseCommand(name: string, raw: string): string[] {
  if (raw.startsWith('[')) return parseJsonCommand(name, raw);
  return splitWords(name, raw);
}

function parseJsonCommand(name: string, raw: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new InputError(name, `invalid JSON array: ${(err as Error).message}`);
  }
  if (!Array.isArray(value) || value.some((word) => typeof word !== 'string')) {
    throw new InputError(name, 'a JSON command must be an array of strings, like ["npm", "start"]');
  }
  if (value.length === 0) throw new InputError(name, 'the JSON array is empty');
  return value as string[];
}

const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`']);

function splitWords(name: string, raw: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const finish = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === "'") {
      const end = raw.indexOf("'", i + 1);
      if (end < 0) throw unterminated(name, 'single', i);
      word += raw.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      const start = i;
      i++;
      while (i < raw.length && raw[i] !== '"') {
        if (raw[i] === '\\' && i + 1 < raw.length) {
          const next = raw[i + 1]!;
          if (next === '\n') {
            i += 2;
            continue;
          }
          if (DOUBLE_QUOTE_ESCAPES.has(next)) {
            word += next;
            i += 2;
            continue;
          }
        }
        word += raw[i];
        i++;
      }
      if (i >= raw.length) throw unterminated(name, 'double', start);
      inWord = true;
      i++;
    } else if (ch === '\\') {
      if (i + 1 >= raw.length) {
        throw new InputError(name, 'ends with a backslash that escapes nothing');
      }
      if (raw[i + 1] !== '\n') {
        word += raw[i + 1];
        inWord = true;
      }
      i += 2;
    } else if (/\s/.test(ch)) {
      finish();
      i++;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  finish();
  return words;
}

function unterminated(name: string, kind: string, index: number): InputError {
  return new InputError(name, `unterminated ${kind} quote (opened at character ${index + 1})`);
}
