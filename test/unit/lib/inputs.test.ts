import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseDocumentInput, parseObjectInput } from '../../../src/lib/documents.ts';
import { InputError } from '../../../src/lib/errors.ts';
import {
  exactlyOne,
  formatDuration,
  mapInputs,
  parseBoolean,
  parseChoice,
  parseDuration,
  parseInteger,
  parseKeyValueLines,
  parseLines,
  parseSize,
  required,
  resolveFile,
} from '../../../src/lib/inputs.ts';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('required inputs', () => {
  test('an empty required input names the input', () => {
    expect(messageOf(() => required('service', ''))).toBe('service: is required');
  });
  test('a given value is returned as is', () => {
    expect(required('service', 'web')).toBe('web');
  });
  test('mapInputs trims like the runner and reads unset inputs as empty', () => {
    const source = mapInputs({ cluster: '  prod \n' });
    expect(source('cluster')).toBe('prod');
    expect(source('service')).toBe('');
  });
});

describe('exactly one of several inputs', () => {
  test('returns the one given', () => {
    expect(exactlyOne({ 'task-definition': 'td.json', 'task-definition-family': '' })).toBe(
      'task-definition',
    );
  });
  test('neither given says which are accepted', () => {
    expect(
      messageOf(() => exactlyOne({ 'task-definition': '', 'task-definition-family': '' })),
    ).toBe('task-definition or task-definition-family: one of these inputs is required');
  });
  test('both given says to choose', () => {
    expect(messageOf(() => exactlyOne({ a: 'x', b: 'y' }))).toBe('a, b: give only one of a or b');
  });
});

describe('booleans accept true or false only', () => {
  test.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
  ])('%s is %s', (raw, expected) => {
    expect(parseBoolean('flag', raw)).toBe(expected);
  });
  test.each(['yes', '1', 'on', 'tru'])('%s is refused with the allowed values', (raw) => {
    expect(messageOf(() => parseBoolean('pin-image-digest', raw))).toBe(
      `pin-image-digest: must be true or false, got '${raw}'`,
    );
  });
  test('empty falls back to the default', () => {
    expect(parseBoolean('flag', '', true)).toBe(true);
  });
});

describe('durations', () => {
  test.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['1h 30m 15s', 5_415_000],
    ['500ms', 500],
    ['1.5m', 90_000],
    ['2m30s', 150_000],
  ])('%s is %i ms', (raw, ms) => {
    expect(parseDuration('timeout', raw)).toBe(ms);
  });
  test.each(['90', '15 minutes', 'm', '-5s', '1d', ''])('%j is refused', (raw) => {
    expect(messageOf(() => parseDuration('timeout', raw))).toBe(
      `timeout: must be a duration like 90s, 15m or 1h30m, got '${raw}'`,
    );
  });
  test('empty falls back to the default', () => {
    expect(parseDuration('timeout', '', '30m')).toBe(1_800_000);
  });
  test.each([
    [450, '450ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_415_000, '1h30m15s'],
    [0, '0ms'],
    [1000, '1s'],
  ])('%i ms is written %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('sizes', () => {
  test.each([
    ['300MB', 300_000_000],
    ['10GB', 10_000_000_000],
    ['512MiB', 512 * 1024 * 1024],
    ['1048576', 1_048_576],
    ['1.5 GB', 1_500_000_000],
  ])('%s is %i bytes', (raw, bytes) => {
    expect(parseSize('max-size', raw)).toBe(bytes);
  });
  test.each(['big', '10 parsecs', '-1MB'])('%s is refused', (raw) => {
    expect(messageOf(() => parseSize('max-size', raw))).toBe(
      `max-size: must be a size like 300MB, 10GB or 512MiB, got '${raw}'`,
    );
  });
});

describe('integers and choices', () => {
  test('a number in range', () => {
    expect(parseInteger('concurrency', '8', { min: 1, max: 64 })).toBe(8);
  });
  test('out of range names the range', () => {
    expect(messageOf(() => parseInteger('concurrency', '0', { min: 1, max: 64 }))).toBe(
      'concurrency: must be between 1 and 64, got 0',
    );
  });
  test('not a number', () => {
    expect(messageOf(() => parseInteger('concurrency', 'eight'))).toBe(
      "concurrency: must be a whole number, got 'eight'",
    );
  });
  test('a choice outside the list names the list', () => {
    expect(messageOf(() => parseChoice('wait-until', 'done', ['none', 'ready', 'deployed']))).toBe(
      "wait-until: must be one of none, ready, deployed, got 'done'",
    );
  });
  test('an empty choice takes the default', () => {
    expect(parseChoice('wait-until', '', ['none', 'deployed'], 'deployed')).toBe('deployed');
  });
});

describe('multi-line KEY=VALUE lists', () => {
  test('keeps order, trims, skips blanks and comments, and splits on the first =', () => {
    const raw = 'A=1\n\n# note\n  DATABASE_URL = postgres://u:p@h/db?x=1&y=2  \nEMPTY=\n';
    expect(parseKeyValueLines('environment-variables', raw)).toEqual([
      ['A', '1'],
      ['DATABASE_URL', 'postgres://u:p@h/db?x=1&y=2'],
      ['EMPTY', ''],
    ]);
  });
  test('a line without = names its line number', () => {
    expect(messageOf(() => parseKeyValueLines('docker-labels', 'a=1\noops'))).toBe(
      "docker-labels: line 2: expected KEY=VALUE, got a line with no '=' (the line before sets 'a': a value cannot span lines)",
    );
  });
  test('a line starting with = has no key', () => {
    expect(messageOf(() => parseKeyValueLines('secrets', '=arn'))).toBe(
      'secrets: line 1: expected KEY=VALUE, the key is empty',
    );
  });
  test('a key breaking the pattern says what keys may be', () => {
    expect(
      messageOf(() =>
        parseKeyValueLines('environment-variables', '1BAD=x', {
          keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
          keyRule: 'letters, digits and _, not starting with a digit',
        }),
      ),
    ).toBe(
      "environment-variables: line 1: invalid key '1BAD' (letters, digits and _, not starting with a digit)",
    );
  });
  test('a key pasted across lines (a PEM key) is never echoed: the error names the line and the key', () => {
    const pem = [
      'TLS_KEY=-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
      'Nf5N4n+ILb0jhf/sA4CCdPoWVPHVsZwN3w==',
      '-----END PRIVATE KEY-----',
    ];
    const rule = { keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/, keyRule: 'letters, digits and _' };
    expect(messageOf(() => parseKeyValueLines('secrets', pem.join('\n'), rule))).toBe(
      "secrets: line 2: expected KEY=VALUE, got a line with no '=' (the line before sets 'TLS_KEY': a value cannot span lines)",
    );
    const padded = ['A=1', pem[2]!].join('\n');
    const message = messageOf(() => parseKeyValueLines('environment-variables', padded, rule));
    expect(message).toBe(
      "environment-variables: line 2: the text before '=' is not a valid key (letters, digits and _)",
    );
    for (const line of pem.slice(1)) expect(message).not.toContain(line.slice(0, 12));
  });
  test('a repeated key is an error, not a silent overwrite', () => {
    expect(messageOf(() => parseKeyValueLines('environment-variables', 'A=1\nA=2'))).toBe(
      "environment-variables: line 2: duplicate key 'A'",
    );
  });
  test('empty values can be refused', () => {
    expect(messageOf(() => parseKeyValueLines('secrets', 'A=', { allowEmptyValue: false }))).toBe(
      "secrets: line 1: empty value for 'A'",
    );
  });
  test('parseLines drops blanks and comments', () => {
    expect(parseLines(' a \n\n# c\nb\r\n')).toEqual(['a', 'b']);
  });
});

describe('JSON and YAML documents', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'inputs-test-'));
  writeFileSync(path.join(dir, 'merge.yml'), 'cpu: "512"\nmemory: "1024"\n');
  writeFileSync(path.join(dir, 'broken.json'), '{\n  "cpu": "512",\n  "memory":\n}\n');

  test('inline JSON', () => {
    expect(parseDocumentInput('merge', '{"cpu": "256"}', dir).value).toEqual({ cpu: '256' });
  });
  test('inline YAML', () => {
    expect(parseDocumentInput('merge', 'cpu: "256"\nmemory: 512', dir).value).toEqual({
      cpu: '256',
      memory: 512,
    });
  });
  test('a file path relative to the workspace', () => {
    const { value, file } = parseDocumentInput('merge', 'merge.yml', dir);
    expect(value).toEqual({ cpu: '512', memory: '1024' });
    expect(file).toBe(path.join(dir, 'merge.yml'));
  });
  test('a missing file names the input and the path as given', () => {
    expect(messageOf(() => parseDocumentInput('merge', 'deploy/merge.yml', dir))).toBe(
      'merge: file not found: deploy/merge.yml',
    );
  });
  test('a .json file is strict JSON and its parse error names the file and the line', () => {
    expect(messageOf(() => parseDocumentInput('merge', 'broken.json', dir))).toMatch(
      /^merge: broken\.json: invalid JSON at line 4, column 1: .+/,
    );
  });
  test('inline YAML errors give the line', () => {
    expect(
      messageOf(() => parseDocumentInput('log-configuration', 'a: 1\nb: [1, 2\nc: 3', dir)),
    ).toMatch(/^log-configuration: invalid JSON\/YAML at line \d+, column \d+: /);
  });
  test('duplicate keys are an error', () => {
    expect(messageOf(() => parseDocumentInput('merge', 'a: 1\na: 2', dir))).toMatch(
      /^merge: invalid JSON\/YAML at line 2, column 1: /,
    );
  });
  test('an object input refuses a list', () => {
    expect(messageOf(() => parseObjectInput('merge', '[1, 2]', dir))).toBe(
      'merge: must be a JSON/YAML mapping (an object with keys)',
    );
  });
  test('resolveFile refuses a directory', () => {
    expect(messageOf(() => resolveFile('task-definition', '.', dir))).toBe(
      'task-definition: not a file: .',
    );
  });
  test('error messages are one line', () => {
    const message = messageOf(() => parseDocumentInput('merge', 'a: [\n', dir));
    expect(message).not.toContain('\n');
  });
});
