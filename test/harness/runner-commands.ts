// Which lines of a step's output the GitHub runner acts on as workflow commands, read the way
// actions/runner reads them (ActionCommandManager.TryProcessCommand with ActionCommand.TryParseV2
// and TryParse), for tests that ask "could anything here have become a command?":
// - a line is what .NET's StreamReader.ReadLine returns: split at CR, LF or CRLF;
// - `::name props::data` once the line is trimmed of leading white space (.NET's
//   Char.IsWhiteSpace, which differs from JavaScript's trimStart), for a registered name;
// - otherwise the older `##[name props]data` anywhere in the untrimmed line;
// - names compare case-insensitively; `::stop-commands::TOKEN` ignores every command until one
//   named TOKEN (in either form) resumes.
// The runner reads stdout and stderr alike: check both.

export interface RunnerCommand {
  command: string;
  data: string;
  line: string;
}

/** The commands a hosted runner registers (its ActionCommandExtensions), plus stop-commands. */
export const REGISTERED_COMMANDS = [
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
  'add-matcher',
  'remove-matcher',
  'stop-commands',
] as const;

// Char.IsWhiteSpace: U+0009–U+000D, U+0020, U+0085, U+00A0 and the Zs, Zl and Zp categories.
const DOTNET_LEADING_SPACE = /^[\t\n\v\f\r \u0085\u00a0\p{Zs}\u2028\u2029]+/u;

function commandName(info: string): string {
  const space = info.indexOf(' ');
  return space < 0 ? info : info.slice(0, space);
}

function parse(
  line: string,
  registered: ReadonlySet<string>,
): { command: string; data: string } | undefined {
  const trimmed = line.replace(DOTNET_LEADING_SPACE, '');
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2);
    if (end >= 0) {
      const command = commandName(trimmed.slice(2, end)).toLowerCase();
      if (registered.has(command)) return { command, data: trimmed.slice(end + 2) };
    }
  }
  const prefix = line.indexOf('##[');
  if (prefix >= 0) {
    const close = line.indexOf(']', prefix);
    if (close >= 0) {
      const command = commandName(line.slice(prefix + 3, close)).toLowerCase();
      if (registered.has(command)) return { command, data: line.slice(close + 1) };
    }
  }
  return undefined;
}

/** The commands the runner would process, in order (stop-commands and its resume excluded). */
export function runnerCommands(output: string): RunnerCommand[] {
  const processed: RunnerCommand[] = [];
  const registered = new Set<string>(REGISTERED_COMMANDS);
  let stopToken: string | undefined;
  for (const line of output.split(/\r\n|\r|\n/)) {
    const parsed = parse(line, registered);
    if (parsed === undefined) continue;
    if (stopToken !== undefined) {
      if (parsed.command === stopToken) {
        registered.delete(stopToken);
        stopToken = undefined;
      }
      continue;
    }
    if (parsed.command === 'stop-commands') {
      stopToken = parsed.data.toLowerCase();
      registered.add(stopToken);
      continue;
    }
    processed.push({ command: parsed.command, data: parsed.data, line });
  }
  return processed;
}

/** The commands of a step's stdout, then its stderr (the runner reads both). */
export function stepCommands(step: { stdout: string; stderr: string }): RunnerCommand[] {
  return [...runnerCommands(step.stdout), ...runnerCommands(step.stderr)];
}
