import * as github from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { ActionError } from './errors.ts';
import { BODY_LIMIT } from './markdown.ts';

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

/**
 * The HTTP status GitHub refused a request with (Octokit's RequestError), or undefined for any
 * other failure. Writes that only report (tickets, comments) degrade such a refusal to a warning.
 */
export function refusalStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('request' in err)) return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
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

// ----- Hidden markers
//
// An issue or comment an action keeps up to date carries one line
// `<!-- fargate-delivery:<kind>:<key> -->`. GitHub hides that HTML comment when it renders the
// body: the action finds its item again by listing (never by search, whose index lags minutes)
// and reading that line.

const MARKER = /^<!-- fargate-delivery:([a-z][a-z0-9-]*):([A-Za-z0-9._~:/@+=%-]+) -->$/;
const KIND = /^[a-z][a-z0-9-]*$/;
// Kept as they are in a key; anything else (spaces, `>`, line breaks, `%`) is percent-encoded so
// a key can neither end the comment early nor spill onto another line.
const KEY_UNSAFE = /[^A-Za-z0-9._~:/@+=-]/gu;

/** The marker line for one item: `kind` names what it is, `key` which one. */
export function hiddenMarker(kind: string, key: string): string {
  if (!KIND.test(kind)) throw new Error(`marker kind '${kind}': lower-case letters, digits, -`);
  if (key === '') throw new Error(`marker kind '${kind}': the key is empty`);
  return `<!-- fargate-delivery:${kind}:${key.replace(KEY_UNSAFE, encodeURIComponent)} -->`;
}

/**
 * The lines of a Markdown body that GitHub renders outside fenced code. Only there is a marker
 * line hidden: the same text inside a fence (someone quoting our body in a code block) is shown
 * as text and is not ours. Indented, quoted or inline copies never equal a whole marker line.
 */
function linesOutsideFences(body: string): string[] {
  const lines: string[] = [];
  let fence: { char: string; length: number } | undefined;
  for (const raw of body.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const run = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      const closes =
        run?.[1]?.[0] === fence.char && run[1].length >= fence.length && /^[ \t]*$/.test(run[2]!);
      if (closes) fence = undefined;
      continue;
    }
    // A backtick fence's info string cannot hold a backtick: such a line is inline code.
    if (run && !(run[1]![0] === '`' && run[2]!.includes('`'))) {
      fence = { char: run[1]![0]!, length: run[1]!.length };
      continue;
    }
    lines.push(line);
  }
  return lines;
}

/** The key of the first `kind` marker hidden in the body, if it carries one. */
export function readMarker(body: string | null | undefined, kind: string): string | undefined {
  for (const line of linesOutsideFences(body ?? '')) {
    const match = MARKER.exec(line);
    if (match?.[1] !== kind) continue;
    try {
      return decodeURIComponent(match[2]!);
    } catch {
      // A malformed escape: a look-alike someone typed, not a line we wrote.
    }
  }
  return undefined;
}

/** Whether the body carries exactly this marker line where GitHub hides it. */
export function hasMarker(body: string | null | undefined, marker: string): boolean {
  return linesOutsideFences(body ?? '').includes(marker);
}

/**
 * Whether two titles or bodies read the same. GitHub keeps a body as sent, but an edit in the
 * browser turns its line ends into CRLF and trailing blank lines are invisible either way.
 */
export function sameText(a: string, b: string): boolean {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').trimEnd();
  return norm(a) === norm(b);
}

function refuseLongBody(item: string, body: string | undefined): void {
  if (body === undefined || body.length <= BODY_LIMIT) return;
  throw new ActionError(
    `${item}: the body is ${body.length.toLocaleString('en-US')} characters, over GitHub's limit of ${BODY_LIMIT.toLocaleString('en-US')}; nothing was written`,
  );
}

function requireMarker(item: string, body: string, marker: string): void {
  // Without its marker the next run would not find the item and would open a second one.
  if (!hasMarker(body, marker)) throw new Error(`${item}: the body lacks its marker ${marker}`);
}

// ----- Issues

export type IssueState = 'open' | 'closed';

/** An issue found by its marker, as listed. */
export interface FoundIssue {
  number: number;
  title: string;
  body: string;
  state: IssueState;
  /** `completed`, `not_planned`, `reopened` or null. */
  stateReason: string | null;
  labels: string[];
  url: string;
  updatedAt: string;
  /** The marker line it was found by, and that marker's key. */
  marker: string;
  key: string;
}

export interface IssueQuery {
  /** The issue carries every one of these (at least one: listing a whole repository is not an option). */
  labels: readonly string[];
  state: 'open' | 'all';
  kind: string;
  /** Only the issue with this key; every key of `kind` when left out. */
  key?: string;
}

/**
 * The issues carrying a `kind` marker, in GitHub's listing order (newest first). Listed by label,
 * 100 a page; pull requests, which the issues list includes, are left out.
 */
export async function findIssues(
  octokit: Octokit,
  repo: RepoRef,
  query: IssueQuery,
): Promise<FoundIssue[]> {
  if (query.labels.length === 0) throw new Error('findIssues: at least one label is needed');
  const listed = await octokit.paginate(octokit.rest.issues.listForRepo, {
    ...repo,
    labels: query.labels.join(','),
    state: query.state,
    per_page: 100,
  });
  const found: FoundIssue[] = [];
  for (const issue of listed) {
    if (issue.pull_request) continue;
    const key = readMarker(issue.body, query.kind);
    if (key === undefined || (query.key !== undefined && key !== query.key)) continue;
    found.push({
      number: issue.number,
      title: issue.title,
      body: issue.body ?? '',
      state: issue.state === 'closed' ? 'closed' : 'open',
      stateReason: issue.state_reason ?? null,
      labels: issue.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
      url: issue.html_url,
      updatedAt: issue.updated_at,
      marker: hiddenMarker(query.kind, key),
      key,
    });
  }
  return found;
}

/** What an issue write did. `writes` counts the requests that changed something on GitHub. */
export interface IssueWrite {
  action: 'opened' | 'updated' | 'reopened' | 'closed' | 'unchanged';
  number: number;
  title: string;
  url: string;
  state: IssueState;
  writes: number;
}

export interface NewIssue {
  title: string;
  /** Carries `marker` on a line of its own. */
  body: string;
  labels: readonly string[];
  marker: string;
}

export async function createIssue(
  octokit: Octokit,
  repo: RepoRef,
  issue: NewIssue,
): Promise<IssueWrite> {
  const item = `new GitHub issue '${issue.title}'`;
  requireMarker(item, issue.body, issue.marker);
  refuseLongBody(item, issue.body);
  const { data } = await octokit.rest.issues.create({
    ...repo,
    title: issue.title,
    body: issue.body,
    labels: [...issue.labels],
  });
  return {
    action: 'opened',
    number: data.number,
    title: issue.title,
    url: data.html_url,
    state: 'open',
    writes: 1,
  };
}

/** How an issue should be; what is left out stays as it is. */
export interface IssueChange {
  title?: string;
  body?: string;
  /** Added when missing; labels a person added stay. */
  labels?: readonly string[];
  state?: IssueState;
  /** Why, when this change closes the issue; GitHub's default is `completed`. */
  stateReason?: 'completed' | 'not_planned';
  /**
   * Posted only when the state changes: before closing, so it reads as the reason, and after
   * reopening, so it follows the reopen in the timeline.
   */
  comment?: string;
}

/** The PATCH that brings `current` to `change`, or undefined when nothing differs. Pure. */
export function issuePatch(
  current: FoundIssue,
  change: IssueChange,
): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  if (change.title !== undefined && !sameText(current.title, change.title))
    patch.title = change.title;
  if (change.body !== undefined && !sameText(current.body, change.body)) patch.body = change.body;
  const has = new Set(current.labels.map((l) => l.toLowerCase()));
  const missing = (change.labels ?? []).filter((l) => !has.has(l.toLowerCase()));
  if (missing.length > 0) patch.labels = [...current.labels, ...missing];
  if (change.state !== undefined && change.state !== current.state) {
    patch.state = change.state;
    if (change.state === 'closed') patch.state_reason = change.stateReason ?? 'completed';
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Brings a found issue to `change`, writing nothing when it already is so. */
export async function updateIssue(
  octokit: Octokit,
  repo: RepoRef,
  current: FoundIssue,
  change: IssueChange,
): Promise<IssueWrite> {
  const item = `GitHub issue #${current.number}`;
  if (change.body !== undefined) requireMarker(item, change.body, current.marker);
  const patch = issuePatch(current, change);
  const title = change.title ?? current.title;
  const result: IssueWrite = {
    action: 'unchanged',
    number: current.number,
    title,
    url: current.url,
    state: current.state,
    writes: 0,
  };
  if (!patch) return result;
  const comment = patch.state !== undefined ? change.comment : undefined;
  refuseLongBody(item, change.body);
  refuseLongBody(`comment on ${item}`, comment);
  const say = async () => {
    if (comment === undefined) return;
    await octokit.rest.issues.createComment({
      ...repo,
      issue_number: current.number,
      body: comment,
    });
    result.writes += 1;
  };
  if (patch.state === 'closed') await say();
  await octokit.rest.issues.update({ ...repo, issue_number: current.number, ...patch });
  result.writes += 1;
  if (patch.state === 'open') await say();
  result.state = change.state ?? current.state;
  result.action =
    patch.state === 'open' ? 'reopened' : patch.state === 'closed' ? 'closed' : 'updated';
  return result;
}

// ----- Comments on an issue or pull request

export interface FoundComment {
  id: number;
  body: string;
  url: string;
}

/** The oldest comment on the issue or pull request that carries the marker. */
export async function findComment(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
): Promise<FoundComment | undefined> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    ...repo,
    issue_number: issueNumber,
    per_page: 100,
  });
  const mine = comments.find((c) => hasMarker(c.body, marker));
  return mine && { id: mine.id, body: mine.body ?? '', url: mine.html_url };
}

export interface CommentWrite {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  url: string;
  writes: number;
}

/** The marked comment edited in place, or created; no write when its text is already so. */
export async function upsertComment(
  octokit: Octokit,
  repo: RepoRef,
  issueNumber: number,
  marker: string,
  body: string,
): Promise<CommentWrite> {
  const item = `comment on GitHub #${issueNumber}`;
  requireMarker(item, body, marker);
  refuseLongBody(item, body);
  const mine = await findComment(octokit, repo, issueNumber, marker);
  if (!mine) {
    const { data } = await octokit.rest.issues.createComment({
      ...repo,
      issue_number: issueNumber,
      body,
    });
    return { action: 'created', id: data.id, url: data.html_url, writes: 1 };
  }
  if (sameText(mine.body, body)) {
    return { action: 'unchanged', id: mine.id, url: mine.url, writes: 0 };
  }
  await octokit.rest.issues.updateComment({ ...repo, comment_id: mine.id, body });
  return { action: 'updated', id: mine.id, url: mine.url, writes: 1 };
}
