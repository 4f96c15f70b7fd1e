// Renders a job summary (GitHub-flavoured Markdown and the bits of HTML core.summary writes)
// as plain terminal text: headings underlined, tables as aligned columns, tags and comments
// dropped. Good enough to read a summary in a terminal; not a Markdown implementation.

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};

function inline(text: string): string {
  return text
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]+>/g, '')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 <$2>')
    .replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m)
    .trim();
}

function splitRow(line: string): string[] {
  const trimmed = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((c) => inline(c.replace(/\\\|/g, '|')));
}

function renderTable(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  const line = (row: string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  if (!head) return [];
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)];
}

/** Converts HTML tables (as core.summary.addTable writes them) into Markdown-like rows. */
function htmlTables(text: string): string {
  return text.replace(/<table>([\s\S]*?)<\/table>/gi, (_, inner: string) => {
    const rows = [...inner.matchAll(/<tr>([\s\S]*?)<\/tr>/gi)].map((m) =>
      [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/gi)].map((c) => inline(c[1]!)),
    );
    if (rows.length === 0) return '';
    const md = rows.map((r) => `| ${r.join(' | ')} |`);
    md.splice(1, 0, `|${rows[0]!.map(() => ' --- ').join('|')}|`);
    return `\n${md.join('\n')}\n`;
  });
}

export function markdownToTerminal(markdown: string): string {
  const source = htmlTables(markdown.replace(/<!--[\s\S]*?-->/g, ''))
    .replace(
      /<h(\d)>([\s\S]*?)<\/h\1>/gi,
      (_, level: string, title: string) => `\n${'#'.repeat(Number(level))} ${title}\n`,
    )
    .replace(/<\/?(details|p|div)[^>]*>/gi, '\n')
    .replace(/<summary>([\s\S]*?)<\/summary>/gi, '$1\n');
  const out: string[] = [];
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*\|/.test(line)) {
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i]!)) {
        if (!/^\s*\|?\s*:?-{3,}/.test(lines[i]!)) rows.push(splitRow(lines[i]!));
        i++;
      }
      i--;
      out.push(...renderTable(rows), '');
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const title = inline(heading[2]!);
      out.push(title, (heading[1]!.length <= 2 ? '═' : '─').repeat(title.length));
      continue;
    }
    if (/^```/.test(line)) {
      // Code blocks (diffs, Mermaid sources) are printed as written, indented.
      out.push(line.replace(/^```/, '  ┈┈ ').trimEnd());
      for (i++; i < lines.length && !/^```/.test(lines[i]!); i++) out.push(`    ${lines[i]}`);
      out.push('  ┈┈');
      continue;
    }
    const bullet = /^(\s*)[-*]\s+(.*)$/.exec(line);
    out.push(bullet ? `${bullet[1]}• ${inline(bullet[2]!)}` : inline(line));
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/^\n+|\s+$/g, '');
}
