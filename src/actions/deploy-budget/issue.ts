import type { Octokit, RepoRef } from '../../lib/github.ts';

/** Tracking issues carry this label, so they are listed without the search API (which lags). */
export const ISSUE_LABEL = 'deploy-budget';

/** GitHub refuses issue bodies longer than this. */
const BODY_LIMIT = 65_536;

export function issueMarker(environment: string): string {
  return `<!-- deploy-budget:environment=${environment} -->`;
}

export function issueTitle(environment: string): string {
  return `Deploy budget exceeded: ${environment}`;
}

export interface TrackingIssue {
  number: number;
  state: 'open' | 'closed';
  url: string;
}

export interface IssueOutcome {
  action: 'opened' | 'updated' | 'reopened' | 'closed' | 'none';
  issue?: TrackingIssue;
}

/**
 * The environment's tracking issue: the open one carrying its marker, else the most recently
 * updated closed one, so a new breach reopens the old thread instead of starting another.
 */
export async function findTrackingIssue(
  octokit: Octokit,
  repo: RepoRef,
  environment: string,
): Promise<TrackingIssue | undefined> {
  const marker = issueMarker(environment);
  let closed: TrackingIssue | undefined;
  for await (const page of octokit.paginate.iterator(octokit.rest.issues.listForRepo, {
    ...repo,
    labels: ISSUE_LABEL,
    state: 'all',
    sort: 'updated',
    direction: 'desc',
    per_page: 100,
  })) {
    for (const issue of page.data) {
      if (issue.pull_request || !issue.body?.includes(marker)) continue;
      const found: TrackingIssue = {
        number: issue.number,
        state: issue.state === 'open' ? 'open' : 'closed',
        url: issue.html_url,
      };
      if (found.state === 'open') return found;
      closed ??= found;
    }
  }
  return closed;
}

/**
 * Keeps one issue per environment in step with the verdict: opened (or reopened) and rewritten
 * while deploys exceed the budget, closed with a comment once they are back under it.
 */
export async function syncTrackingIssue(
  octokit: Octokit,
  repo: RepoRef,
  environment: string,
  state: {
    exceeded: boolean;
    body: string;
    recoveredComment: string;
    exceededAgainComment: string;
  },
): Promise<IssueOutcome> {
  const existing = await findTrackingIssue(octokit, repo, environment);
  // The marker goes first so that trimming a long body to GitHub's limit never loses it.
  const body = `${issueMarker(environment)}\n${state.body}`.slice(0, BODY_LIMIT);
  if (!state.exceeded) {
    if (existing?.state !== 'open') return { action: 'none' };
    await octokit.rest.issues.createComment({
      ...repo,
      issue_number: existing.number,
      body: state.recoveredComment,
    });
    await octokit.rest.issues.update({
      ...repo,
      issue_number: existing.number,
      state: 'closed',
      state_reason: 'completed',
    });
    return { action: 'closed', issue: { ...existing, state: 'closed' } };
  }
  if (!existing) {
    const { data } = await octokit.rest.issues.create({
      ...repo,
      title: issueTitle(environment),
      body,
      labels: [ISSUE_LABEL],
    });
    return {
      action: 'opened',
      issue: { number: data.number, state: 'open', url: data.html_url },
    };
  }
  // The title is left alone: someone may have renamed the issue while working on it.
  await octokit.rest.issues.update({ ...repo, issue_number: existing.number, body, state: 'open' });
  if (existing.state === 'closed') {
    await octokit.rest.issues.createComment({
      ...repo,
      issue_number: existing.number,
      body: state.exceededAgainComment,
    });
    return { action: 'reopened', issue: { ...existing, state: 'open' } };
  }
  return { action: 'updated', issue: existing };
}
