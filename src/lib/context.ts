import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** What the runner tells every step about the run it belongs to, read in one place. */
export interface RunnerContext {
  /** RUNNER_TEMP: a directory emptied after each job; the OS temp dir outside a runner. */
  tempDir: string;
  /** GITHUB_WORKSPACE: the checkout; the working directory outside a runner. */
  workspace: string;
  /** GITHUB_RUN_ID, when the step runs inside a workflow run. */
  runId?: string;
  /** GITHUB_SHA ('' outside a run). */
  sha: string;
  /** GITHUB_REF ('' outside a run). */
  ref: string;
  /** GITHUB_SERVER_URL, https://github.com by default. */
  serverUrl: string;
  /** GITHUB_API_URL, https://api.github.com by default. */
  apiUrl: string;
  /** GITHUB_REPOSITORY as given ('' outside a run); `currentRepo()` parses it. */
  repository: string;
  /** GITHUB_EVENT_NAME ('' outside a run). */
  eventName: string;
  /** GITHUB_EVENT_PATH, the webhook payload file, when set. */
  eventPath?: string;
}

export function runnerContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  const context: RunnerContext = {
    tempDir: env.RUNNER_TEMP || tmpdir(),
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    repository: env.GITHUB_REPOSITORY ?? '',
    eventName: env.GITHUB_EVENT_NAME ?? '',
  };
  if (env.GITHUB_RUN_ID) context.runId = env.GITHUB_RUN_ID;
  if (env.GITHUB_EVENT_PATH) context.eventPath = env.GITHUB_EVENT_PATH;
  return context;
}

/**
 * The webhook payload of the event that started the run (GITHUB_EVENT_PATH); {} outside a run or
 * when the file cannot be read as a JSON object.
 */
export function eventPayload(context: RunnerContext): Record<string, unknown> {
  if (!context.eventPath) return {};
  try {
    const value: unknown = JSON.parse(readFileSync(context.eventPath, 'utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
