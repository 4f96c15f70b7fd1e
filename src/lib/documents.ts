// JSON and YAML document inputs, apart from src/lib/inputs.ts so that only the actions that read
// documents load the parsers.
import { readFileSync, statSync } from 'node:fs';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import { parseDocument as parseYamlDocument } from 'yaml';
import { InputError } from './errors.ts';
import { resolveFile, workspaceDir } from './inputs.ts';

/** Document inputs are small settings (a merge, a log configuration): a larger file is refused unread. */
const DOCUMENT_FILE_LIMIT = 1024 * 1024;

/** Parses JSON or YAML text (YAML is a superset of JSON); an error names the line and column. */
export function parseDocumentText(name: string, text: string, source?: string): unknown {
  const doc = parseYamlDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const at = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new InputError(name, `${source ? `${source}: ` : ''}invalid JSON/YAML${at}: ${reason}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Strict JSON for `.json` files: YAML would quietly accept `{"a":}` as a null value. */
export function parseJsonText(name: string, text: string, source?: string): unknown {
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false });
  const error = errors[0];
  if (error) {
    const before = text.slice(0, error.offset);
    const line = before.split('\n').length;
    const col = error.offset - before.lastIndexOf('\n');
    const reason = printParseErrorCode(error.error)
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    throw new InputError(
      name,
      `${source ? `${source}: ` : ''}invalid JSON at line ${line}, column ${col}: ${reason}`,
    );
  }
  return value;
}

function looksLikePath(raw: string): boolean {
  return !raw.includes('\n') && !/^[{[]/.test(raw) && /\.(json|ya?ml)$/i.test(raw);
}

/**
 * An inline JSON/YAML document, or the path of a file holding one (`.json`, `.yml`, `.yaml`).
 * Returns the parsed value and the file it came from, if any.
 */
export function parseDocumentInput(
  name: string,
  raw: string,
  workspace = workspaceDir(),
): { value: unknown; file?: string } {
  if (looksLikePath(raw)) {
    const file = resolveFile(name, raw, workspace);
    if (statSync(file).size > DOCUMENT_FILE_LIMIT) {
      throw new InputError(name, `${raw} is over ${DOCUMENT_FILE_LIMIT / 1024} KiB: not read`);
    }
    const text = readFileSync(file, 'utf8');
    const value = /\.json$/i.test(file)
      ? parseJsonText(name, text, raw)
      : parseDocumentText(name, text, raw);
    return { value, file };
  }
  return { value: parseDocumentText(name, raw) };
}

/** A document input that must be a mapping (`{...}`), not a list or scalar. */
export function parseObjectInput(
  name: string,
  raw: string,
  workspace = workspaceDir(),
): Record<string, unknown> {
  const { value } = parseDocumentInput(name, raw, workspace);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(name, 'must be a JSON/YAML mapping (an object with keys)');
  }
  return value as Record<string, unknown>;
}

/** A JSON/YAML mapping: an object that is neither null nor a list. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
