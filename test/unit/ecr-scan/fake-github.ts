// A small in-memory stand-in for the issue endpoints the ecr-scan action calls, shaped like
// Octokit's `rest.issues` methods and `paginate`. It records every write so tests can count them.
import type { Octokit } from '../../../src/lib/github.ts';

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason: string | null;
  labels: string[];
  html_url: string;
  pull_request?: object;
}

export interface FakeComment {
  id: number;
  issue_number: number;
  body: string;
  html_url: string;
}

export class FakeGitHub {
  issues: FakeIssue[] = [];
  comments: FakeComment[] = [];
  writes: string[] = [];
  #next = 1;

  addIssue(
    issue: Partial<FakeIssue> & { title: string; body: string; labels: string[] },
  ): FakeIssue {
    const number = this.#next++;
    const full: FakeIssue = {
      number,
      state: 'open',
      state_reason: null,
      html_url: `https://github.com/acme/web/issues/${number}`,
      ...issue,
    };
    this.issues.push(full);
    return full;
  }

  get octokit(): Octokit {
    const issues = {
      listForRepo: async (params: { labels?: string; state?: string }) => {
        const wanted = (params.labels ?? '').split(',').filter(Boolean);
        const data = this.issues.filter(
          (i) =>
            wanted.every((l) => i.labels.includes(l)) &&
            (params.state === 'all' || i.state === (params.state ?? 'open')),
        );
        return { data: structuredClone(data) };
      },
      create: async (params: { title: string; body: string; labels: string[] }) => {
        this.writes.push(`create ${params.title}`);
        return {
          data: this.addIssue({ title: params.title, body: params.body, labels: params.labels }),
        };
      },
      update: async (params: {
        issue_number: number;
        title?: string;
        body?: string;
        state?: 'open' | 'closed';
        state_reason?: string;
      }) => {
        this.writes.push(`update #${params.issue_number}${params.state ? ` ${params.state}` : ''}`);
        const issue = this.issues.find((i) => i.number === params.issue_number)!;
        if (params.title !== undefined) issue.title = params.title;
        if (params.body !== undefined) issue.body = params.body;
        if (params.state !== undefined) {
          issue.state = params.state;
          issue.state_reason =
            params.state === 'closed' ? (params.state_reason ?? 'completed') : 'reopened';
        }
        return { data: structuredClone(issue) };
      },
      listComments: async (params: { issue_number: number }) => ({
        data: structuredClone(this.comments.filter((c) => c.issue_number === params.issue_number)),
      }),
      createComment: async (params: { issue_number: number; body: string }) => {
        this.writes.push(`comment #${params.issue_number}`);
        const id = 1000 + this.comments.length;
        const comment = {
          id,
          issue_number: params.issue_number,
          body: params.body,
          html_url: `https://github.com/acme/web/issues/${params.issue_number}#issuecomment-${id}`,
        };
        this.comments.push(comment);
        return { data: structuredClone(comment) };
      },
      updateComment: async (params: { comment_id: number; body: string }) => {
        this.writes.push(`edit comment ${params.comment_id}`);
        const comment = this.comments.find((c) => c.id === params.comment_id)!;
        comment.body = params.body;
        return { data: structuredClone(comment) };
      },
    };
    const paginate = async (
      method: (p: unknown) => Promise<{ data: unknown[] }>,
      params: unknown,
    ) => (await method(params)).data;
    return { rest: { issues }, paginate } as unknown as Octokit;
  }
}
