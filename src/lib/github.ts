import * as github from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { ActionError } from './errors.ts';

export type Octokit = ReturnType<typeof github.getOctokit>;

export interface GitHubOptions {
  /** Retries after a rate-limit answer (primary or secondary). Default 4. */
  rateLimitRetries?: number;
  /** Longest wait a `retry-after` may ask for before we give up, in seconds. Default 120. */
  maxRetryAfterSeconds?: number;
  log?: (message: string) => void;
  /**
   * Spacing between content-creating requests in ms. GitHub asks for about a second between
   * writes (three for ones that notify); FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS overrides it
   * for servers without secondary limits (GitHub Enterprise with limits off, the sandbox).
   */
  writeIntervalMs?: number;
}

function writeInterval(options: GitHubOptions): number | undefined {
  if (options.writeIntervalMs !== undefined) return options.writeIntervalMs;
  const fromEnv = process.env.FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS;
  return fromEnv && /^\d+$/.test(fromEnv) ? Number(fromEnv) : undefined;
}

/**
 * Octokit as every action uses it: base URL from GITHUB_API_URL (GitHub Enterprise and the
 * sandbox alike), retries on 5xx, and waits that honour `retry-after` on primary and secondary
 * rate limits — content-creation limits are real when an action opens many issues.
 */
export function createOctokit(token: string, options: GitHubOptions = {}): Octokit {
  if (!token) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
    throw new ActionError('github-token: is required (the default is ${{ github.token }})');
  }
  const retries = options.rateLimitRetries ?? 4;
  const maxWait = options.maxRetryAfterSeconds ?? 120;
  const log = options.log ?? (() => {});
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _o: unknown, count: number) => {
      if (count >= retries || retryAfter > maxWait) return false;
      log(
        `GitHub ${kind} rate limit on ${request.method} ${request.url}: retrying in ${retryAfter}s`,
      );
      return true;
    };
  const interval = writeInterval(options);
  const spacing =
    interval === undefined
      ? {}
      : {
          write: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval }),
          notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: interval }),
        };
  return github.getOctokit(
    token,
    {
      baseUrl: process.env.GITHUB_API_URL || 'https://api.github.com',
      // 429 is the throttling plugin's to wait out; retrying it here too would double the wait.
      retry: { retries: 3, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: {
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
        ...spacing,
      },
    },
    retry,
    throttling,
  );
}

export interface RepoRef {
  owner: string;
  repo: string;
}

export function currentRepo(env = process.env): RepoRef {
  const full = env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = full.split('/');
  if (!owner || !repo)
    throw new ActionError(`GITHUB_REPOSITORY: expected owner/name, got '${full}'`);
  return { owner, repo };
}
