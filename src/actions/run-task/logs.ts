// A task's CloudWatch Logs stream, read forward while the task runs, and the way its lines
// reach the step log: the task's output is untrusted, so it is printed between
// `::stop-commands::<token>` and `::<token>::` with a token chosen after the lines are known,
// and the runner reads none of it as a workflow command.
import { randomBytes } from 'node:crypto';
import {
  type CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { describeError, errorName } from '../../lib/errors.ts';
import { isThrottling } from '../../lib/poll.ts';
import { isTransient } from './transient.ts';

/** Pages read per stream per poll: a chatty task cannot hold the poll loop on its logs. */
const MAX_PAGES = 5;

/** One event's message as log lines (multi-line messages, any line ending). */
export function splitMessage(message: string): string[] {
  const lines = message.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  return lines;
}

export class LogStream {
  readonly group: string;
  readonly stream: string;
  readonly #client: Pick<CloudWatchLogsClient, 'send'>;
  #token: string | undefined;
  #problem: string | undefined;

  constructor(client: Pick<CloudWatchLogsClient, 'send'>, group: string, stream: string) {
    this.#client = client;
    this.group = group;
    this.stream = stream;
  }

  /** Why the stream can no longer be read (access denied, say), once that has happened. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /**
   * The lines written since the last read. A stream that does not exist yet, a throttled or
   * failed call, all read as "nothing new": the next poll tries again. Errors that will not pass
   * (no permission) stop the reading and are kept in `problem`.
   */
  async read(abortSignal?: AbortSignal): Promise<string[]> {
    if (this.#problem !== undefined) return [];
    const lines: string[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      let out: GetLogEventsCommandOutput;
      try {
        out = await this.#get(abortSignal);
      } catch (err) {
        const name = errorName(err);
        if (
          name !== 'ResourceNotFoundException' &&
          name !== 'AbortError' &&
          !isThrottling(err) &&
          !isTransient(err)
        ) {
          this.#problem = describeError(err);
        }
        return lines;
      }
      for (const event of out.events ?? []) lines.push(...splitMessage(event.message ?? ''));
      const next = out.nextForwardToken;
      // AWS answers the token it was given once the reader is at the end of the stream.
      const atEnd = next === undefined || next === this.#token;
      if (next !== undefined) this.#token = next;
      if (atEnd) break;
    }
    return lines;
  }

  #get(abortSignal: AbortSignal | undefined) {
    return this.#client.send(
      new GetLogEventsCommand({
        logGroupName: this.group,
        logStreamName: this.stream,
        startFromHead: true,
        ...(this.#token !== undefined ? { nextToken: this.#token } : {}),
      }),
      abortSignal ? { abortSignal } : {},
    );
  }
}

/** The last `size` lines seen, for the job summary and the failure message. */
export class LogTail {
  readonly #size: number;
  readonly #lines: string[] = [];

  constructor(size = 50) {
    this.#size = size;
  }

  push(lines: string[]): void {
    this.#lines.push(...lines);
    if (this.#lines.length > this.#size) this.#lines.splice(0, this.#lines.length - this.#size);
  }

  get lines(): string[] {
    return [...this.#lines];
  }
}

/**
 * `lines` as the runner must see them: inside a stop-commands block whose token none of them
 * contains. The token is random and picked after the lines are known, so a task cannot print
 * the line that would resume command processing.
 */
export function untrustedBlock(
  lines: string[],
  token: () => string = () => randomBytes(16).toString('hex'),
): string[] {
  if (lines.length === 0) return [];
  let resume = token();
  while (lines.some((line) => line.includes(resume))) resume = token();
  return [`::stop-commands::${resume}`, ...lines, `::${resume}::`];
}
