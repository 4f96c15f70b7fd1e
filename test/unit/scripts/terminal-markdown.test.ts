import { describe, expect, test } from 'vitest';
import { markdownToTerminal } from '../../../scripts/lib/terminal-markdown.ts';

describe('job summaries read in a terminal', () => {
  test('markdown tables become aligned columns', () => {
    const text = markdownToTerminal(
      '| phase | time |\n| --- | --- |\n| `BeforeInstall` | 3s |\n| AllowTraffic | 1m2s |',
    );
    expect(text.split('\n')).toEqual([
      'phase          time',
      '─────────────  ────',
      'BeforeInstall  3s',
      'AllowTraffic   1m2s',
    ]);
  });
  test('HTML tables from core.summary.addTable become the same columns', () => {
    const html =
      '<table><tr><th>container</th><th>image</th></tr><tr><td>web</td><td>web@sha256:ab</td></tr></table>';
    expect(markdownToTerminal(html).split('\n')).toEqual([
      'container  image',
      '─────────  ─────────────',
      'web        web@sha256:ab',
    ]);
  });
  test('headings are underlined, comments and tags dropped, links kept readable', () => {
    const text = markdownToTerminal(
      '<h2>Deploy</h2>\n<!-- marker -->\nSee [console](https://example.com) for **details**.',
    );
    expect(text).toBe('Deploy\n══════\n\nSee console <https://example.com> for details.');
  });
  test('list items become bullets', () => {
    expect(markdownToTerminal('- one\n- `two`')).toBe('• one\n• two');
  });
  test('code blocks keep their lines as written', () => {
    expect(markdownToTerminal('```diff\n- a: 1\n+ a: 2\n```')).toBe(
      '  ┈┈ diff\n    - a: 1\n    + a: 2\n  ┈┈',
    );
  });
});
