/**
 * An error whose message is meant for the person running the workflow: one line that says
 * what went wrong and what to do. Anything else reaching the entry point is a bug or an
 * upstream failure and is described by `describeError`.
 */
export class ActionError extends Error {
  override readonly name: string = 'ActionError';
}

/** A bad input: the message always starts with the input's name. */
export class InputError extends ActionError {
  override readonly name: string = 'InputError';
  readonly input: string;
  constructor(input: string, problem: string) {
    super(`${input}: ${problem}`);
    this.input = input;
  }
}

/** Several problems found at once (validation reports every problem, not just the first). */
export class AggregateActionError extends ActionError {
  override readonly name: string = 'AggregateActionError';
  readonly problems: readonly string[];
  constructor(summary: string, problems: readonly string[]) {
    super(`${summary}: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** The `name` of a thrown value (an SDK error's exception name), or undefined. */
export function errorName(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** The message of a thrown value, whatever it is. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(err);
}

interface AwsLikeError {
  name: string;
  message: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $fault?: string;
}

interface HttpLikeError {
  name: string;
  message: string;
  status: number;
  request?: { method?: string; url?: string };
}

function isAwsError(err: unknown): err is AwsLikeError {
  return typeof err === 'object' && err !== null && '$metadata' in err;
}

function isHttpError(err: unknown): err is HttpLikeError {
  return (
    typeof err === 'object' &&
    err !== null &&
    'status' in err &&
    typeof (err as { status: unknown }).status === 'number' &&
    'request' in err
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** An AWS failure whose message already names the call (see nameTheCall in aws.ts). */
function namesTheCall(err: unknown): err is Error {
  return err instanceof Error && '$operation' in err;
}

/** One line describing any thrown value, for `core.setFailed`. */
export function describeError(err: unknown): string {
  if (err instanceof ActionError) return oneLine(err.message);
  if (namesTheCall(err)) return oneLine(err.message);
  if (isAwsError(err)) {
    const status = err.$metadata?.httpStatusCode;
    const where = status ? ` (HTTP ${status})` : '';
    return oneLine(`AWS ${err.name}${where}: ${err.message}`);
  }
  if (isHttpError(err)) {
    const what =
      err.request?.method && err.request.url ? ` ${err.request.method} ${err.request.url}` : '';
    return oneLine(`GitHub API${what} failed with ${err.status}: ${err.message}`);
  }
  if (err instanceof Error) return oneLine(err.message || err.name);
  return oneLine(String(err));
}
