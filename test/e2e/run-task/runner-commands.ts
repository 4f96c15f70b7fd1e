// Which lines of a step's stdout the GitHub runner acts on as workflow commands, read the way
// actions/runner's ActionCommandManager reads them (the harness's parser knows no
// stop-commands): `::name props::data` after leading whitespace, the older `##[name props]data`
// anywhere in a line, both only for commands the runner knows, and `::stop-commands::TOKEN`
// ignoring every command until a `::TOKEN::` line. Names compare case-insensitively.

export interface RunnerCommand {
  command: string;
  data: string;
  line: string;
}

const KNOWN = [
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
];

function parse(line: string): { command: string; data: string } | undefined {
  const trimmed = line.trimStart();
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2);
    if (end >= 0) {
      const info = trimmed.slice(2, end);
      return { command: info.split(' ')[0] ?? '', data: trimmed.slice(end + 2) };
    }
  }
  const legacy = line.indexOf('##[');
  if (legacy >= 0) {
    const rest = line.slice(legacy + 3);
    const close = rest.indexOf(']');
    if (close >= 0) {
      return { command: rest.slice(0, close).split(' ')[0] ?? '', data: rest.slice(close + 1) };
    }
  }
  return undefined;
}

/** The commands the runner would process, in order (stop-commands and its resume excluded). */
export function runnerCommands(stdout: string): RunnerCommand[] {
  const processed: RunnerCommand[] = [];
  let stopToken: string | undefined;
  for (const line of stdout.split(/\r\n|\n|\r/)) {
    const parsed = parse(line);
    if (parsed === undefined) continue;
    const command = parsed.command.toLowerCase();
    if (stopToken !== undefined) {
      if (command === stopToken.toLowerCase()) stopToken = undefined;
      continue;
    }
    if (!KNOWN.includes(command)) continue;
    if (command === 'stop-commands') {
      stopToken = parsed.data;
      continue;
    }
    processed.push({ command, data: parsed.data, line });
  }
  return processed;
}
