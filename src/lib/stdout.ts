// Plain log text as the runner reads it. The runner takes a line of a step's stdout or stderr as a
// workflow command in two forms (actions/runner, ActionCommand.TryParseV2 and TryParse):
// `::name …::data` once leading white space is trimmed (.NET's Char.IsWhiteSpace), and the older
// `##[name …]data` anywhere in the line. Annotations, debug lines and group titles reach the
// runner as command data, whose line breaks @actions/core escapes; a plain log line has no such
// escape, so any text in it that came from outside (a finding, a registry, a file, an error
// message, a stack trace) could end our line and start a command of its own. Every plain line
// we print passes through `plainText`.

/**
 * A line start: the start of the text or after any character some reader takes as a line break
 * (the runner splits on CR, LF and CRLF; the others are split too, which costs nothing).
 */
const LINE_START = String.raw`(^|\r\n|\r|\n|\u0085|\u2028|\u2029)`;
/**
 * What may come before `::` and still be trimmed away: every white space character .NET knows
 * and more (all controls, format characters and separators), so no reader trims more than this.
 */
const TRIMMED = String.raw`[\s\p{Z}\p{Cc}\p{Cf}]*`;
const COMMAND_START = new RegExp(`${LINE_START}(${TRIMMED}):(?=:)`, 'gu');
const LEGACY_COMMAND = /##\[/g;

/**
 * `text` as it is, except that no line of it can be read as a workflow command: a line that
 * would start with `::` gets `%3A:` (the colon as the runner's own escapes write it) and every
 * `##[` becomes `##%5B`. Text with neither prints unchanged, line breaks included.
 */
export function plainText(text: string): string {
  return text.replace(COMMAND_START, '$1$2%3A').replace(LEGACY_COMMAND, '##%5B');
}
