import { describeError } from '../../lib/errors.ts';
import {
  createIssue,
  type FoundIssue,
  findIssues,
  hiddenMarker,
  type IssueWrite,
  type Octokit,
  type RepoRef,
  refusalStatus,
  updateIssue,
} from '../../lib/github.ts';
import { fitBody, plain } from '../../lib/markdown.ts';

/** Tracking issues carry this label, so they are listed without the search API (which lags). */
export const ISSUE_LABEL = 'deploy-budget';

const MARKER_KIND = 'deploy-budget';

export function issueMarker(environment: string): string {
  return hiddenMarker(MARKER_KIND, environment);
}

export function issueTitle(environment: string): string {
  return `Deploy budget exceeded: ${plain(environment)}`;
}

export interface TrackingIssue {
  number: number;
  state: 'open' | 'closed';
  url: string;
}

export interface IssueOutcome {
  action: 'opened' | 'updated' | 'reopened' | 'closed' | 'unchanged' | 'none';
  issue?: TrackingIssue;
  /** Why GitHub refused the write, when it did: a warning, never the verdict. */
  refused?: string;
}

/**
 * The environment's tracking issue: the open one carrying its marker, else the most recently
 * updated closed one, so a new breach reopens the old thread instead of starting another.
 */
export async function findTrackingIssue(
  octokit: Octokit,
  repo: RepoRef,
  environment: string,
): Promise<FoundIssue | undefined> {
  const found = await findIssues(octokit, repo, {
    labels: [ISSUE_LABEL],
    state: 'all',
    kind: MARKER_KIND,
    key: environment,
  });
  const recent = found.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return recent.find((i) => i.state === 'open') ?? recent[0];
}

function outcome(write: IssueWrite): IssueOutcome {
  return {
    action: write.action,
    issue: { number: write.number, state: write.state, url: write.url },
  };
}

/** What the tracking issue should say: whether deploys exceed the budget, and the texts. */
export interface TrackingState {
  exceeded: boolean;
  body: string;
  recoveredComment: string;
  exceededAgainComment: string;
}

/**
 * Keeps one issue per environment in step with the verdict: opened (or reopened) and rewritten
 * while deploys exceed the budget, closed with a comment once they are back under it.
 */
export async function syncTrackingIssue(
  octokit: Octokit,
  repo: RepoRef,
  environment: string,
  state: TrackingState,
): Promise<IssueOutcome> {
  try {
    return await writeTrackingIssue(octokit, repo, environment, state);
  } catch (err) {
    // The issue reports the verdict; a refused write (permissions, a rate limit) must not hide it.
    if (refusalStatus(err) === undefined) throw err;
    return { action: 'none', refused: `tracking issue: GitHub refused it: ${describeError(err)}` };
  }
}

/** syncTrackingIssue's writes, which may throw what GitHub refused. */
async function writeTrackingIssue(
  octokit: Octokit,
  repo: RepoRef,
  environment: string,
  state: TrackingState,
): Promise<IssueOutcome> {
  const existing = await findTrackingIssue(octokit, repo, environment);
  // The marker goes first so that fitting a long body to GitHub's limit never loses it.
  const body = fitBody(`${issueMarker(environment)}\n${state.body}`);
  if (!state.exceeded) {
    if (existing?.state !== 'open') return { action: 'none' };
    return outcome(
      await updateIssue(octokit, repo, existing, {
        state: 'closed',
        stateReason: 'completed',
        comment: state.recoveredComment,
      }),
    );
  }
  if (!existing) {
    return outcome(
      await createIssue(octokit, repo, {
        title: issueTitle(environment),
        body,
        labels: [ISSUE_LABEL],
        marker: issueMarker(environment),
      }),
    );
  }
  // The title is left alone: someone may have renamed the issue while working on it.
  return outcome(
    await updateIssue(octokit, repo, existing, {
      body,
      state: 'open',
      comment: state.exceededAgainComment,
    }),
  );
}
