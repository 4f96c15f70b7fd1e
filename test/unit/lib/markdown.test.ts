import { describe, expect, test } from 'vitest';
import {
  BODY_LIMIT,
  cell,
  code,
  codeBlock,
  escapeCell,
  FIELD_MAX,
  fitBody,
  fitRows,
  link,
  prose,
  text,
} from '../../../src/lib/markdown.ts';
import { renderGitHub } from '../../harness/github-markdown.ts';

// What a pull request can put in a package name, a finding's text or a file path.
const HOSTILE = [
  'pkg\n## Forged heading\n| a | b |',
  'ping @org/team and @octocat',
  'see #1 and acme/web#2',
  '<img src="https://tracker.example/pixel.gif"> <b>bold</b> &lt;img&gt;',
  '<!-- fargate-delivery:ecr-scan-ticket:abc -->',
  '[click](https://evil.example) ![pixel](https://evil.example/p.gif)',
  'bare https://evil.example and www.evil.example and mail@evil.example',
  'a ``` fence ` and `` runs',
  '`leading and trailing`',
  'pipes | in | text \\| escaped',
  '$\\sqrt{x}$ math',
  '\u001b[31mred\u001b[0m and \u202eoverride',
  '> quote\n- list\n1. ordered\n# heading',
];

function tableOf(cells: string[]): string {
  return [
    `| ${cells.map((_, i) => `c${i}`).join(' | ')} |`,
    `|${cells.map(() => '---').join('|')}|`,
    `| ${cells.join(' | ')} |`,
  ].join('\n');
}

describe('untrusted text renders as the characters it is, and as nothing else', () => {
  test.each(HOSTILE)('text(%j)', (value) => {
    const shown = text(value);
    expect(shown).not.toMatch(/[\r\n]/);
    const rendered = renderGitHub(`Finding: ${shown}`);
    expect(rendered.images).toEqual([]);
    expect(rendered.links).toEqual([]);
    expect(rendered.mentions).toEqual([]);
    expect(rendered.references).toEqual([]);
    expect(rendered.headings).toEqual([]);
    expect(rendered.html).not.toMatch(/<(b|em|strong|code|del|blockquote|li|table)>/);
    expect(rendered.html.match(/<p>/g)).toHaveLength(1);
    expect(shown).not.toContain('<!--');
  });

  test.each(HOSTILE)('code(%j) is one code span, and a table keeps its cells', (value) => {
    const rendered = renderGitHub(tableOf([code(value), cell(value), 'last']));
    expect(rendered.tableRows).toBe(2);
    expect(rendered.html.match(/<td>/g)).toHaveLength(3);
    expect(rendered.html).toContain('<td>last</td>');
    expect(rendered.images).toEqual([]);
    expect(rendered.links).toEqual([]);
    expect(rendered.mentions).toEqual([]);
    expect(rendered.html.match(/<code>/g)).toHaveLength(1);
  });

  test('text shows what it was given', () => {
    const rendered = renderGitHub(text('a <img> & `b` [c] @d *e*'));
    const shown = rendered.html
      .replace(/<\/?p>/g, '')
      .replace(/\u200d/g, '')
      .trim();
    expect(shown).toBe('a &lt;img&gt; &amp; `b` [c] @d *e*');
  });

  test('a code span shows backticks as they are', () => {
    for (const value of ['echo `id`', '``x``', '`', 'a ``` b']) {
      const html = renderGitHub(code(value)).html;
      const inner = /<code>([\s\S]*)<\/code>/.exec(html)?.[1];
      expect(inner, value).toBe(value);
    }
  });

  test('every field is cut to a length, on a character boundary', () => {
    const long = `${'😀'.repeat(100)}${'x'.repeat(70_000)}`;
    expect(Array.from(text(long)).length).toBeLessThanOrEqual(FIELD_MAX);
    expect(text(long).endsWith('…')).toBe(true);
    expect(code(long).length).toBeLessThan(FIELD_MAX * 2 + 4);
    expect(Array.from(text('😀'.repeat(10), 5))).toEqual(['😀', '😀', '😀', '😀', '…']);
    expect(cell('')).toBe('—');
    expect(cell(undefined)).toBe('—');
  });

  test('prose keeps paragraphs, escapes each and stops at its length', () => {
    const description = 'First @org line\nsame paragraph.\n\n<script>x</script> second.\n\n\nthird';
    expect(prose(description, 1000)).toBe(
      'First @\u200dorg line same paragraph.\n\n&lt;script&gt;x&lt;/script&gt; second.\n\nthird',
    );
    expect(prose('x'.repeat(5000), 100).length).toBeLessThanOrEqual(100);
  });

  test('a code block cannot be closed by what is inside it', () => {
    const block = codeBlock(['``` not the end', '````', 'line\n## two', '\u001b[1mbold\u001b[0m']);
    const rendered = renderGitHub(`${block}\n\nafter`);
    expect(rendered.html.match(/<pre>/g)).toHaveLength(1);
    expect(rendered.headings).toEqual([]);
    expect(rendered.html).toContain('<p>after</p>');
    expect(block).not.toContain('\u001b');
  });

  test('links are made only to http(s) addresses, which cannot break out of the link', () => {
    expect(link('x', 'javascript:alert(1)')).toBe('x');
    expect(link('x', 'data:text/html,hi')).toBe('x');
    expect(link('x', undefined)).toBe('x');
    const made = link('advisory', 'https://example.com/a (b) <c>');
    expect(renderGitHub(made).links).toEqual(['https://example.com/a%20%28b%29%20%3Cc%3E']);
  });

  test('escapeCell keeps our own Markdown in one cell', () => {
    expect(escapeCell('[a](b) | **c**\nd')).toBe('[a](b) \\| **c** d');
  });
});

describe('bodies fit GitHub by shortening and leaving out rows, never by failing', () => {
  const head = '| id | name |\n|---|---|';
  const row = (id: number, name: string) => (max: number) => `| ${id} | ${code(name, max)} |`;

  test('one long row is shortened and every later row is still listed', () => {
    const rows = [
      row(0, 'x'.repeat(70_000)),
      ...Array.from({ length: 1501 }, (_, i) => row(i + 1, `pkg-${i}`)),
    ];
    const fitted = fitRows(head, rows, 60_000);
    expect(fitted.omitted).toBe(0);
    expect(fitted.shown).toBe(1502);
    expect(fitted.text).toContain('pkg-1500');
    expect(fitted.text.length).toBeLessThanOrEqual(60_000);
  });

  test('a row too long at full width is shortened to fit what is left', () => {
    const fitted = fitRows(head, [row(1, 'y'.repeat(500))], head.length + 100);
    expect(fitted.shown).toBe(1);
    expect(fitted.text.length).toBeLessThanOrEqual(head.length + 100);
  });

  test('rows past the budget are counted, and what is shown is within it', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(i, `package-${i}`));
    const fitted = fitRows(head, rows, 10_000);
    expect(fitted.text.length).toBeLessThanOrEqual(10_000);
    expect(fitted.shown + fitted.omitted).toBe(5000);
    expect(fitted.omitted).toBeGreaterThan(0);
    expect(renderGitHub(fitted.text).tableRows).toBe(fitted.shown + 1);
  });

  test('fitBody leaves a body within the limit alone and cuts a longer one at a line, closing its fence', () => {
    expect(fitBody('short')).toBe('short');
    const long = [
      '<!-- marker -->',
      '```text',
      ...Array.from({ length: 20_000 }, (_, i) => `line ${i}`),
    ].join('\n');
    const cut = fitBody(long);
    expect(cut.length).toBeLessThanOrEqual(BODY_LIMIT);
    expect(cut.startsWith('<!-- marker -->\n')).toBe(true);
    const rendered = renderGitHub(cut);
    expect(rendered.html.match(/<pre>/g)).toHaveLength(1);
    expect(rendered.html).toMatch(/cut here to stay within GitHub/);
  });
});
