// A body as GitHub shows it, for tests that ask what a reader would see: rendered as GitHub
// Flavored Markdown (micromark with its GFM extension: tables, autolinks, strikethrough) with raw
// HTML let through, as GitHub lets <img>, <a> and <details> through its sanitizer. On top of the
// HTML, what GitHub adds after rendering: @mentions and #123 references in text outside code.
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';

export interface RenderedBody {
  html: string;
  /** `@user` or `@org/team` GitHub would notify, from text outside code and links. */
  mentions: string[];
  /** `#123` GitHub would cross-reference, from text outside code and links. */
  references: string[];
  /** Every element GitHub would render from raw HTML or Markdown images. */
  images: string[];
  /** Every link target. */
  links: string[];
  /** Rows of every table, header rows included. */
  tableRows: number;
  headings: string[];
}

function textOutsideCode(html: string): string {
  return html
    .replace(/<pre>[\s\S]*?<\/pre>/g, ' ')
    .replace(/<code>[\s\S]*?<\/code>/g, ' ')
    .replace(/<a [^>]*>[\s\S]*?<\/a>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"');
}

export function renderGitHub(markdown: string): RenderedBody {
  const html = micromark(markdown, {
    allowDangerousHtml: true,
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()],
  });
  const text = textOutsideCode(html);
  return {
    html,
    mentions: [...text.matchAll(/(?<![\w`])@([A-Za-z0-9][A-Za-z0-9-]*(?:\/[\w.-]+)?)/g)].map(
      (m) => m[0],
    ),
    references: [...text.matchAll(/(?<![\w&])#(\d+)\b/g)].map((m) => m[0]),
    images: [...html.matchAll(/<img\b[^>]*>/gi)].map((m) => m[0]),
    links: [...html.matchAll(/<a\b[^>]*href="([^"]*)"/gi)].map((m) => m[1]!),
    tableRows: [...html.matchAll(/<tr>/g)].length,
    headings: [...html.matchAll(/<h(\d)>([\s\S]*?)<\/h\1>/g)].map((m) => m[2]!),
  };
}
