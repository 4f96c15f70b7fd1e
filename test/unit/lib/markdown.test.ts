import { expect, test } from 'vitest';
import { code, escapeCell } from '../../../src/lib/markdown.ts';

test('a table cell keeps its pipes as text and stays on one row', () => {
  expect(escapeCell('a|b\r\nc\nd')).toBe('a\\|b c d');
});

test('inline code cannot be closed early by a backtick in the text', () => {
  expect(code('echo `id`')).toBe("`echo 'id'`");
});
