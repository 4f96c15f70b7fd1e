// Simulated GitHub REST API for one repository: issues (and the pull requests that share their
// numbers), comments, labels, deployments and their statuses, workflow runs and jobs. Response
// shapes, pagination (`Link` headers) and validation errors follow GitHub's REST API, so a real
// Octokit (including `octokit.paginate`) works against it. Timestamps come from the sandbox clock.

import { createHash } from 'node:crypto';
import type { Clock } from './types.ts';

export interface GitHubLabelScenario {
  name: string;
  color?: string;
  description?: string;
}

export interface GitHubCommentScenario {
  body: string;
  user?: string;
  created_at?: string;
}

export interface GitHubIssueScenario {
  number?: number;
  title: string;
  body?: string;
  state?: 'open' | 'closed';
  state_reason?: 'completed' | 'not_planned' | 'reopened' | null;
  labels?: string[];
  user?: string;
  created_at?: string;
  comments?: GitHubCommentScenario[];
}

export interface GitHubPullScenario extends GitHubIssueScenario {
  head?: { ref: string; sha?: string };
  base?: { ref: string; sha?: string };
  draft?: boolean;
  merged?: boolean;
}

export interface GitHubStepScenario {
  name: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
}

export interface GitHubJobScenario {
  id?: number;
  name: string;
  status?: 'queued' | 'in_progress' | 'completed' | 'waiting';
  conclusion?: string | null;
  /** When the job was queued (ready to run); before started_at when it waited for approval. */
  created_at?: string;
  started_at?: string;
  completed_at?: string | null;
  run_attempt?: number;
  steps?: GitHubStepScenario[];
  labels?: string[];
}

export interface GitHubWorkflowRunScenario {
  id: number;
  name?: string;
  path?: string;
  head_branch?: string;
  head_sha?: string;
  event?: string;
  status?: string;
  conclusion?: string | null;
  run_number?: number;
  run_attempt?: number;
  created_at?: string;
  run_started_at?: string;
  updated_at?: string;
  jobs?: GitHubJobScenario[];
}

export interface GitHubDeploymentStatusScenario {
  state: DeploymentState;
  description?: string;
  log_url?: string;
  environment_url?: string;
  created_at?: string;
}

export interface GitHubDeploymentScenario {
  id?: number;
  ref: string;
  sha?: string;
  environment?: string;
  task?: string;
  payload?: unknown;
  description?: string;
  created_at?: string;
  transient_environment?: boolean;
  production_environment?: boolean;
  statuses?: GitHubDeploymentStatusScenario[];
}

export interface GitHubScenario {
  /** `owner/name`: the only repository the simulator serves. */
  repository: string;
  default_branch?: string;
  /** When set, requests must send it (`Authorization: token …` or `Bearer …`). */
  token?: string;
  /** Login that authors what API calls create; default `github-actions[bot]`. */
  actor?: string;
  /** Branch or tag → commit sha, for deployments created by ref. */
  refs?: Record<string, string>;
  labels?: (string | GitHubLabelScenario)[];
  issues?: GitHubIssueScenario[];
  pulls?: GitHubPullScenario[];
  workflowRuns?: GitHubWorkflowRunScenario[];
  deployments?: GitHubDeploymentScenario[];
}

export interface GitHubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface GitHubResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

type DeploymentState =
  | 'error'
  | 'failure'
  | 'inactive'
  | 'in_progress'
  | 'queued'
  | 'pending'
  | 'success';

export interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface Issue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  state_reason: string | null;
  labels: string[];
  user: string;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  /** Set for pull requests, which are issues too. */
  pull?: {
    head: { ref: string; sha: string };
    base: { ref: string; sha: string };
    draft: boolean;
    merged: boolean;
  };
}

export interface Comment {
  id: number;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}

export interface DeploymentStatus {
  id: number;
  deployment_id: number;
  state: DeploymentState;
  description: string;
  environment: string;
  log_url: string;
  environment_url: string;
  creator: string;
  created_at: string;
  updated_at: string;
}

export interface Deployment {
  id: number;
  ref: string;
  sha: string;
  task: string;
  payload: unknown;
  environment: string;
  original_environment: string;
  description: string | null;
  creator: string;
  transient_environment: boolean;
  production_environment: boolean;
  created_at: string;
  updated_at: string;
}

export interface GitHubState {
  readonly owner: string;
  readonly repo: string;
  readonly issues: Map<number, Issue>;
  readonly comments: Map<number, Comment>;
  readonly labels: Map<string, Label>;
  readonly deployments: Map<number, Deployment>;
  readonly statuses: DeploymentStatus[];
  readonly workflowRuns: Map<number, GitHubWorkflowRunScenario>;
  /** POST, PATCH, PUT and DELETE requests received. */
  writeCalls: number;
  /** Issues (not pull requests) with a label, for assertions. */
  issuesWithLabel(name: string): Issue[];
}

export interface GitHubModule {
  readonly state: GitHubState;
  handle(req: GitHubRequest): Promise<GitHubResponse>;
}

const MAX_BODY = 65_536;
const DOCS = 'https://docs.github.com/rest';
const DEPLOYMENT_STATES = new Set([
  'error',
  'failure',
  'inactive',
  'in_progress',
  'queued',
  'pending',
  'success',
]);

/** GitHub's timestamps have no milliseconds. */
function iso(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString('base64').replace(/=+$/, '');
}

function shaOf(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function validation(
  resource: string,
  field: string,
  code: string,
  message?: string,
  docs = DOCS,
): GitHubResponse {
  const error: Record<string, string> = { resource, code, field };
  if (message) error.message = message;
  return {
    status: 422,
    body: { message: 'Validation Failed', errors: [error], documentation_url: docs, status: '422' },
  };
}

function tooLong(resource: string, body: unknown, docs: string): GitHubResponse | undefined {
  if (typeof body === 'string' && body.length > MAX_BODY && Array.from(body).length > MAX_BODY) {
    return validation(
      resource,
      'body',
      'custom',
      `body is too long (maximum is ${MAX_BODY} characters)`,
      docs,
    );
  }
  return undefined;
}

function header(headers: GitHubRequest['headers'], name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function createGitHub(
  scenario: GitHubScenario | undefined,
  ctx: { clock: Clock },
): GitHubModule {
  const { clock } = ctx;
  const fullName = scenario?.repository ?? 'sandbox/app';
  const [owner, repo] = fullName.split('/') as [string, string];
  const actor = scenario?.actor ?? 'github-actions[bot]';
  const defaultBranch = scenario?.default_branch ?? 'main';
  let nextId = 1_000;
  const newId = () => ++nextId;
  const now = () => iso(clock.now());

  const issues = new Map<number, Issue>();
  const comments = new Map<number, Comment>();
  const labels = new Map<string, Label>();
  const deployments = new Map<number, Deployment>();
  const statuses: DeploymentStatus[] = [];
  const workflowRuns = new Map<number, GitHubWorkflowRunScenario>();

  const state: GitHubState = {
    owner,
    repo,
    issues,
    comments,
    labels,
    deployments,
    statuses,
    workflowRuns,
    writeCalls: 0,
    issuesWithLabel: (name) =>
      [...issues.values()].filter(
        (i) => !i.pull && i.labels.some((l) => l.toLowerCase() === name.toLowerCase()),
      ),
  };

  function ensureLabel(name: string, color = 'ededed', description: string | null = null): Label {
    const key = name.toLowerCase();
    let label = labels.get(key);
    if (!label) {
      label = { id: newId(), name, color, description, default: false };
      labels.set(key, label);
    }
    return label;
  }

  function nextNumber(): number {
    let max = 0;
    for (const n of issues.keys()) max = Math.max(max, n);
    return max + 1;
  }

  function addIssue(spec: GitHubIssueScenario, pull?: GitHubPullScenario): Issue {
    const created = spec.created_at ?? now();
    const number = spec.number ?? nextNumber();
    const issue: Issue = {
      id: newId(),
      number,
      title: spec.title,
      body: spec.body ?? null,
      state: spec.state ?? 'open',
      state_reason: spec.state_reason ?? null,
      labels: (spec.labels ?? []).map((l) => ensureLabel(l).name),
      user: spec.user ?? actor,
      created_at: created,
      updated_at: created,
      closed_at: spec.state === 'closed' ? created : null,
    };
    if (pull) {
      const headRef = pull.head?.ref ?? `feature-${number}`;
      const baseRef = pull.base?.ref ?? defaultBranch;
      issue.pull = {
        head: { ref: headRef, sha: pull.head?.sha ?? shaOf(`head:${headRef}`) },
        base: { ref: baseRef, sha: pull.base?.sha ?? shaOf(`base:${baseRef}`) },
        draft: pull.draft ?? false,
        merged: pull.merged ?? false,
      };
    }
    issues.set(number, issue);
    for (const c of spec.comments ?? []) {
      const at = c.created_at ?? created;
      const id = newId();
      comments.set(id, {
        id,
        issue_number: number,
        body: c.body,
        user: c.user ?? actor,
        created_at: at,
        updated_at: at,
      });
    }
    return issue;
  }

  function resolveSha(ref: string): string {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    return scenario?.refs?.[ref] ?? shaOf(`ref:${ref}`);
  }

  function addDeployment(spec: GitHubDeploymentScenario): Deployment {
    const created = spec.created_at ?? now();
    const environment = spec.environment ?? 'production';
    const d: Deployment = {
      id: spec.id ?? newId(),
      ref: spec.ref,
      sha: spec.sha ?? resolveSha(spec.ref),
      task: spec.task ?? 'deploy',
      payload: spec.payload ?? {},
      environment,
      original_environment: environment,
      description: spec.description ?? null,
      creator: actor,
      transient_environment: spec.transient_environment ?? false,
      production_environment: spec.production_environment ?? environment === 'production',
      created_at: created,
      updated_at: created,
    };
    deployments.set(d.id, d);
    for (const s of spec.statuses ?? []) {
      addStatus(d, { ...s, created_at: s.created_at ?? created }, false);
    }
    return d;
  }

  function addStatus(
    d: Deployment,
    spec: GitHubDeploymentStatusScenario & { environment?: string; target_url?: string },
    autoInactive: boolean,
  ): DeploymentStatus {
    const at = spec.created_at ?? now();
    if (spec.environment) d.environment = spec.environment;
    const s: DeploymentStatus = {
      id: newId(),
      deployment_id: d.id,
      state: spec.state,
      description: spec.description ?? '',
      environment: d.environment,
      log_url: spec.log_url ?? spec.target_url ?? '',
      environment_url: spec.environment_url ?? '',
      creator: actor,
      created_at: at,
      updated_at: at,
    };
    statuses.push(s);
    d.updated_at = at;
    if (autoInactive && s.state === 'success') {
      for (const other of deployments.values()) {
        if (other.id === d.id || other.environment !== d.environment) continue;
        if (other.transient_environment || other.production_environment) continue;
        if (other.id > d.id) continue;
        const latest = latestStatus(other.id);
        if (latest?.state === 'success') {
          addStatus(other, { state: 'inactive', created_at: at }, false);
        }
      }
    }
    return s;
  }

  function latestStatus(deploymentId: number): DeploymentStatus | undefined {
    return statuses.filter((s) => s.deployment_id === deploymentId).at(-1);
  }

  for (const l of scenario?.labels ?? []) {
    if (typeof l === 'string') ensureLabel(l);
    else ensureLabel(l.name, l.color, l.description ?? null);
  }
  for (const i of scenario?.issues ?? []) addIssue(i);
  for (const p of scenario?.pulls ?? []) addIssue(p, p);
  for (const r of scenario?.workflowRuns ?? []) workflowRuns.set(r.id, r);
  for (const d of scenario?.deployments ?? []) addDeployment(d);

  // ----- rendering: URLs use the base the client called, so Octokit can follow them.

  function render(base: string) {
    const api = `${base}/repos/${owner}/${repo}`;
    const web = `https://github.com/${owner}/${repo}`;
    const user = (login: string) => ({
      login,
      id: Number.parseInt(shaOf(login).slice(0, 7), 16),
      node_id: nodeId('User', Number.parseInt(shaOf(login).slice(0, 7), 16)),
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      site_admin: false,
      url: `${base}/users/${encodeURIComponent(login)}`,
      html_url: `https://github.com/${login}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${Number.parseInt(shaOf(login).slice(0, 7), 16)}?v=4`,
    });
    const label = (l: Label) => ({
      id: l.id,
      node_id: nodeId('Label', l.id),
      url: `${api}/labels/${encodeURIComponent(l.name)}`,
      name: l.name,
      color: l.color,
      default: l.default,
      description: l.description,
    });
    const labelsOf = (names: string[]) =>
      names
        .map((n) => labels.get(n.toLowerCase()))
        .filter((l): l is Label => l !== undefined)
        .map(label);
    const commentCount = (n: number) =>
      [...comments.values()].filter((c) => c.issue_number === n).length;
    const issue = (i: Issue) => ({
      url: `${api}/issues/${i.number}`,
      repository_url: api,
      labels_url: `${api}/issues/${i.number}/labels{/name}`,
      comments_url: `${api}/issues/${i.number}/comments`,
      events_url: `${api}/issues/${i.number}/events`,
      html_url: `${web}/${i.pull ? 'pull' : 'issues'}/${i.number}`,
      id: i.id,
      node_id: nodeId(i.pull ? 'PullRequest' : 'Issue', i.id),
      number: i.number,
      title: i.title,
      user: user(i.user),
      labels: labelsOf(i.labels),
      state: i.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: commentCount(i.number),
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      author_association: i.user === actor ? 'NONE' : 'CONTRIBUTOR',
      active_lock_reason: null,
      body: i.body,
      state_reason: i.state_reason,
      ...(i.pull
        ? {
            draft: i.pull.draft,
            pull_request: {
              url: `${api}/pulls/${i.number}`,
              html_url: `${web}/pull/${i.number}`,
              diff_url: `${web}/pull/${i.number}.diff`,
              patch_url: `${web}/pull/${i.number}.patch`,
              merged_at: i.pull.merged ? i.closed_at : null,
            },
          }
        : {}),
    });
    const repoRef = {
      id: 1,
      name: repo,
      full_name: fullName,
      owner: user(owner),
      url: api,
      html_url: web,
    };
    const pull = (i: Issue) => {
      const p = i.pull as NonNullable<Issue['pull']>;
      return {
        url: `${api}/pulls/${i.number}`,
        id: i.id,
        node_id: nodeId('PullRequest', i.id),
        html_url: `${web}/pull/${i.number}`,
        issue_url: `${api}/issues/${i.number}`,
        comments_url: `${api}/issues/${i.number}/comments`,
        number: i.number,
        state: i.state,
        locked: false,
        title: i.title,
        user: user(i.user),
        body: i.body,
        labels: labelsOf(i.labels),
        created_at: i.created_at,
        updated_at: i.updated_at,
        closed_at: i.closed_at,
        merged_at: p.merged ? i.closed_at : null,
        merged: p.merged,
        draft: p.draft,
        head: {
          label: `${owner}:${p.head.ref}`,
          ref: p.head.ref,
          sha: p.head.sha,
          user: user(owner),
          repo: repoRef,
        },
        base: {
          label: `${owner}:${p.base.ref}`,
          ref: p.base.ref,
          sha: p.base.sha,
          user: user(owner),
          repo: repoRef,
        },
        author_association: 'CONTRIBUTOR',
      };
    };
    const comment = (c: Comment) => ({
      url: `${api}/issues/comments/${c.id}`,
      html_url: `${web}/issues/${c.issue_number}#issuecomment-${c.id}`,
      issue_url: `${api}/issues/${c.issue_number}`,
      id: c.id,
      node_id: nodeId('IssueComment', c.id),
      user: user(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: c.user === actor ? 'NONE' : 'CONTRIBUTOR',
      body: c.body,
    });
    const deployment = (d: Deployment) => ({
      url: `${api}/deployments/${d.id}`,
      id: d.id,
      node_id: nodeId('Deployment', d.id),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: d.payload,
      original_environment: d.original_environment,
      environment: d.environment,
      description: d.description,
      creator: user(d.creator),
      created_at: d.created_at,
      updated_at: d.updated_at,
      statuses_url: `${api}/deployments/${d.id}/statuses`,
      repository_url: api,
      transient_environment: d.transient_environment,
      production_environment: d.production_environment,
    });
    const status = (s: DeploymentStatus) => ({
      url: `${api}/deployments/${s.deployment_id}/statuses/${s.id}`,
      id: s.id,
      node_id: nodeId('DeploymentStatus', s.id),
      state: s.state,
      creator: user(s.creator),
      description: s.description,
      environment: s.environment,
      target_url: s.log_url,
      created_at: s.created_at,
      updated_at: s.updated_at,
      deployment_url: `${api}/deployments/${s.deployment_id}`,
      repository_url: api,
      environment_url: s.environment_url,
      log_url: s.log_url,
    });
    const run = (r: GitHubWorkflowRunScenario) => {
      const created = r.created_at ?? now();
      return {
        id: r.id,
        name: r.name ?? 'CI',
        node_id: nodeId('WorkflowRun', r.id),
        head_branch: r.head_branch ?? defaultBranch,
        head_sha: r.head_sha ?? shaOf(`run:${r.id}`),
        path: r.path ?? '.github/workflows/ci.yml',
        display_title: r.name ?? 'CI',
        run_number: r.run_number ?? r.id % 1000,
        event: r.event ?? 'push',
        status: r.status ?? 'in_progress',
        conclusion: r.conclusion ?? null,
        workflow_id: Number.parseInt(shaOf(r.path ?? 'ci').slice(0, 7), 16),
        url: `${api}/actions/runs/${r.id}`,
        html_url: `${web}/actions/runs/${r.id}`,
        jobs_url: `${api}/actions/runs/${r.id}/jobs`,
        logs_url: `${api}/actions/runs/${r.id}/logs`,
        created_at: created,
        updated_at: r.updated_at ?? created,
        run_attempt: r.run_attempt ?? 1,
        run_started_at: r.run_started_at ?? created,
        actor: user(actor),
        triggering_actor: user(actor),
        repository: repoRef,
      };
    };
    const job = (r: GitHubWorkflowRunScenario, j: GitHubJobScenario, index: number) => {
      const id = j.id ?? r.id * 100 + index + 1;
      const started = j.started_at ?? r.run_started_at ?? r.created_at ?? now();
      const status = j.status ?? 'completed';
      return {
        id,
        run_id: r.id,
        run_url: `${api}/actions/runs/${r.id}`,
        run_attempt: j.run_attempt ?? r.run_attempt ?? 1,
        node_id: nodeId('CheckRun', id),
        head_sha: r.head_sha ?? shaOf(`run:${r.id}`),
        head_branch: r.head_branch ?? defaultBranch,
        url: `${api}/actions/jobs/${id}`,
        html_url: `${web}/actions/runs/${r.id}/job/${id}`,
        status,
        conclusion: j.conclusion ?? (status === 'completed' ? 'success' : null),
        created_at: j.created_at ?? started,
        started_at: started,
        completed_at: j.completed_at ?? null,
        name: j.name,
        steps: (j.steps ?? []).map((s, n) => ({
          name: s.name,
          status: s.status ?? 'completed',
          conclusion:
            s.conclusion ?? ((s.status ?? 'completed') === 'completed' ? 'success' : null),
          number: n + 1,
          started_at: s.started_at ?? null,
          completed_at: s.completed_at ?? null,
        })),
        check_run_url: `${api}/check-runs/${id}`,
        labels: j.labels ?? ['ubuntu-latest'],
        runner_id: 1,
        runner_name: 'GitHub Actions 1',
        runner_group_id: 1,
        runner_group_name: 'GitHub Actions',
        workflow_name: r.name ?? 'CI',
      };
    };
    const repository = () => ({
      ...repoRef,
      node_id: nodeId('Repository', 1),
      private: false,
      default_branch: defaultBranch,
      description: null,
      fork: false,
      has_issues: true,
      visibility: 'public',
    });
    return { issue, pull, comment, label, deployment, status, run, job, repository };
  }

  // ----- pagination

  function paginate<T>(
    items: T[],
    req: GitHubRequest,
    base: string,
    defaultPerPage = 30,
  ): { slice: T[]; headers: Record<string, string> } {
    const perPage = Math.min(
      100,
      Math.max(1, Number(req.query.get('per_page') ?? defaultPerPage) || defaultPerPage),
    );
    const pageNo = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((pageNo - 1) * perPage, pageNo * perPage);
    const link = (p: number, rel: string) => {
      const q = new URLSearchParams(req.query);
      q.set('page', String(p));
      if (!q.has('per_page')) q.set('per_page', String(perPage));
      return `<${base}${req.path}?${q.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (pageNo > 1) links.push(link(pageNo - 1, 'prev'));
    if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
    if (pageNo > 1) links.push(link(1, 'first'));
    return { slice, headers: links.length > 0 ? { link: links.join(', ') } : {} };
  }

  // ----- routes

  type Handler = (m: RegExpExecArray, req: GitHubRequest, base: string) => GitHubResponse;
  const routes: [string, RegExp, Handler][] = [];
  const repoPath = `/repos/${owner}/${repo}`;
  const on = (method: string, pattern: string, handler: Handler) => {
    routes.push([
      method,
      new RegExp(`^(?:/api/v3)?${escapeRegExp(repoPath)}${pattern}$`, 'i'),
      handler,
    ]);
  };

  const notFound = (): GitHubResponse => ({
    status: 404,
    body: { message: 'Not Found', documentation_url: DOCS },
  });
  const issueOr404 = (n: string | undefined) => issues.get(Number(n));
  const bodyOf = (req: GitHubRequest) =>
    req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  const labelNames = (value: unknown): string[] =>
    Array.isArray(value)
      ? value.map((l) => (typeof l === 'string' ? l : String((l as { name?: string }).name ?? '')))
      : [];

  on('GET', '', (_m, _req, base) => ({ status: 200, body: render(base).repository() }));

  on('GET', '/issues', (_m, req, base) => {
    const wanted = req.query.get('state') ?? 'open';
    const filter = (req.query.get('labels') ?? '')
      .split(',')
      .map((l) => l.trim().toLowerCase())
      .filter(Boolean);
    const since = req.query.get('since');
    const creator = req.query.get('creator');
    const sort = req.query.get('sort') ?? 'created';
    const direction = req.query.get('direction') ?? 'desc';
    let list = [...issues.values()].filter(
      (i) =>
        (wanted === 'all' || i.state === wanted) &&
        filter.every((f) => i.labels.some((l) => l.toLowerCase() === f)) &&
        (!since || i.updated_at >= iso(Date.parse(since))) &&
        (!creator || i.user === creator),
    );
    const count = (i: Issue) =>
      [...comments.values()].filter((c) => c.issue_number === i.number).length;
    const order = (a: Issue, b: Issue) =>
      sort === 'updated'
        ? a.updated_at.localeCompare(b.updated_at)
        : sort === 'comments'
          ? count(a) - count(b)
          : a.created_at.localeCompare(b.created_at);
    list.sort((a, b) => order(a, b) || a.number - b.number);
    if (direction !== 'asc') list = list.reverse();
    const { slice, headers } = paginate(list, req, base);
    return { status: 200, headers, body: slice.map(render(base).issue) };
  });

  on('POST', '/issues', (_m, req, base) => {
    const body = bodyOf(req);
    const docs = 'https://docs.github.com/rest/issues/issues#create-an-issue';
    if (typeof body.title !== 'string' && typeof body.title !== 'number') {
      return validation('Issue', 'title', 'missing_field', undefined, docs);
    }
    const bad = tooLong('Issue', body.body, docs);
    if (bad) return bad;
    const issue = addIssue({
      title: String(body.title),
      labels: labelNames(body.labels),
      ...(typeof body.body === 'string' ? { body: body.body } : {}),
    });
    return {
      status: 201,
      headers: { location: `${base}${repoPath}/issues/${issue.number}` },
      body: render(base).issue(issue),
    };
  });

  on('GET', '/issues/(\\d+)', (m, _req, base) => {
    const issue = issueOr404(m[1]);
    return issue ? { status: 200, body: render(base).issue(issue) } : notFound();
  });

  on('PATCH', '/issues/(\\d+)', (m, req, base) => {
    const issue = issueOr404(m[1]);
    if (!issue) return notFound();
    const body = bodyOf(req);
    const docs = 'https://docs.github.com/rest/issues/issues#update-an-issue';
    const bad = tooLong('Issue', body.body, docs);
    if (bad) return bad;
    if (body.state !== undefined && body.state !== 'open' && body.state !== 'closed') {
      return validation('Issue', 'state', 'invalid', undefined, docs);
    }
    if (typeof body.title === 'string') issue.title = body.title;
    if (body.body !== undefined) issue.body = body.body === null ? null : String(body.body);
    if (body.labels !== undefined)
      issue.labels = labelNames(body.labels).map((l) => ensureLabel(l).name);
    const at = now();
    if (body.state === 'closed' && issue.state === 'open') {
      issue.state = 'closed';
      issue.closed_at = at;
      issue.state_reason = typeof body.state_reason === 'string' ? body.state_reason : 'completed';
    } else if (body.state === 'open' && issue.state === 'closed') {
      issue.state = 'open';
      issue.closed_at = null;
      issue.state_reason = 'reopened';
    } else if (body.state_reason !== undefined) {
      issue.state_reason = body.state_reason === null ? null : String(body.state_reason);
    }
    issue.updated_at = at;
    return { status: 200, body: render(base).issue(issue) };
  });

  on('GET', '/issues/(\\d+)/comments', (m, req, base) => {
    if (!issueOr404(m[1])) return notFound();
    const since = req.query.get('since');
    const list = [...comments.values()]
      .filter(
        (c) =>
          c.issue_number === Number(m[1]) && (!since || c.updated_at >= iso(Date.parse(since))),
      )
      .sort((a, b) => a.id - b.id);
    const { slice, headers } = paginate(list, req, base);
    return { status: 200, headers, body: slice.map(render(base).comment) };
  });

  on('POST', '/issues/(\\d+)/comments', (m, req, base) => {
    const issue = issueOr404(m[1]);
    if (!issue) return notFound();
    const body = bodyOf(req);
    const docs = 'https://docs.github.com/rest/issues/comments#create-an-issue-comment';
    if (typeof body.body !== 'string' || body.body === '') {
      return validation('IssueComment', 'body', 'missing_field', undefined, docs);
    }
    const bad = tooLong('IssueComment', body.body, docs);
    if (bad) return bad;
    const at = now();
    const c: Comment = {
      id: newId(),
      issue_number: issue.number,
      body: body.body,
      user: actor,
      created_at: at,
      updated_at: at,
    };
    comments.set(c.id, c);
    issue.updated_at = at;
    return {
      status: 201,
      headers: { location: `${base}${repoPath}/issues/comments/${c.id}` },
      body: render(base).comment(c),
    };
  });

  on('GET', '/issues/comments/(\\d+)', (m, _req, base) => {
    const c = comments.get(Number(m[1]));
    return c ? { status: 200, body: render(base).comment(c) } : notFound();
  });

  on('PATCH', '/issues/comments/(\\d+)', (m, req, base) => {
    const c = comments.get(Number(m[1]));
    if (!c) return notFound();
    const body = bodyOf(req);
    const docs = 'https://docs.github.com/rest/issues/comments#update-an-issue-comment';
    if (typeof body.body !== 'string' || body.body === '') {
      return validation('IssueComment', 'body', 'missing_field', undefined, docs);
    }
    const bad = tooLong('IssueComment', body.body, docs);
    if (bad) return bad;
    c.body = body.body;
    c.updated_at = now();
    return { status: 200, body: render(base).comment(c) };
  });

  on('DELETE', '/issues/comments/(\\d+)', (m) => {
    if (!comments.delete(Number(m[1]))) return notFound();
    return { status: 204 };
  });

  on('POST', '/issues/(\\d+)/labels', (m, req, base) => {
    const issue = issueOr404(m[1]);
    if (!issue) return notFound();
    const body = req.body;
    const names = labelNames(Array.isArray(body) ? body : bodyOf(req).labels);
    for (const n of names) {
      const l = ensureLabel(n);
      if (!issue.labels.some((x) => x.toLowerCase() === l.name.toLowerCase()))
        issue.labels.push(l.name);
    }
    issue.updated_at = now();
    return { status: 200, body: render(base).issue(issue).labels };
  });

  on('DELETE', '/issues/(\\d+)/labels/([^/]+)', (m, _req, base) => {
    const issue = issueOr404(m[1]);
    const name = decodeURIComponent(m[2] ?? '').toLowerCase();
    if (!issue?.labels.some((l) => l.toLowerCase() === name)) {
      return { status: 404, body: { message: 'Label does not exist', documentation_url: DOCS } };
    }
    issue.labels = issue.labels.filter((l) => l.toLowerCase() !== name);
    issue.updated_at = now();
    return { status: 200, body: render(base).issue(issue).labels };
  });

  on('GET', '/labels', (_m, req, base) => {
    const list = [...labels.values()].sort((a, b) => a.id - b.id);
    const { slice, headers } = paginate(list, req, base);
    return { status: 200, headers, body: slice.map(render(base).label) };
  });

  on('GET', '/labels/([^/]+)', (m, _req, base) => {
    const l = labels.get(decodeURIComponent(m[1] ?? '').toLowerCase());
    return l ? { status: 200, body: render(base).label(l) } : notFound();
  });

  on('POST', '/labels', (_m, req, base) => {
    const body = bodyOf(req);
    const docs = 'https://docs.github.com/rest/issues/labels#create-a-label';
    if (typeof body.name !== 'string' || body.name === '') {
      return validation('Label', 'name', 'missing_field', undefined, docs);
    }
    if (labels.has(body.name.toLowerCase()))
      return validation('Label', 'name', 'already_exists', undefined, docs);
    const color = typeof body.color === 'string' ? body.color.replace(/^#/, '') : 'ededed';
    if (!/^[0-9a-f]{6}$/i.test(color))
      return validation('Label', 'color', 'invalid', undefined, docs);
    const l = ensureLabel(
      body.name,
      color,
      typeof body.description === 'string' ? body.description : null,
    );
    return { status: 201, body: render(base).label(l) };
  });

  on('GET', '/pulls', (_m, req, base) => {
    const wanted = req.query.get('state') ?? 'open';
    const list = [...issues.values()]
      .filter((i) => i.pull && (wanted === 'all' || i.state === wanted))
      .sort((a, b) => b.number - a.number);
    const { slice, headers } = paginate(list, req, base);
    return { status: 200, headers, body: slice.map(render(base).pull) };
  });

  on('GET', '/pulls/(\\d+)', (m, _req, base) => {
    const issue = issueOr404(m[1]);
    return issue?.pull ? { status: 200, body: render(base).pull(issue) } : notFound();
  });

  on('POST', '/deployments', (_m, req, base) => {
    const body = bodyOf(req);
    const docs = 'https://docs.github.com/rest/deployments/deployments#create-a-deployment';
    if (typeof body.ref !== 'string' || body.ref === '') {
      return validation('Deployment', 'ref', 'missing_field', undefined, docs);
    }
    let payload = body.payload ?? {};
    if (typeof payload === 'string') {
      try {
        payload = JSON.parse(payload);
      } catch {
        // GitHub keeps a non-JSON string payload as it is
      }
    }
    const spec: GitHubDeploymentScenario = { ref: body.ref, payload };
    if (typeof body.environment === 'string') spec.environment = body.environment;
    if (typeof body.task === 'string') spec.task = body.task;
    if (typeof body.description === 'string') spec.description = body.description;
    if (typeof body.transient_environment === 'boolean')
      spec.transient_environment = body.transient_environment;
    if (typeof body.production_environment === 'boolean')
      spec.production_environment = body.production_environment;
    const d = addDeployment(spec);
    return { status: 201, body: render(base).deployment(d) };
  });

  on('GET', '/deployments', (_m, req, base) => {
    const q = req.query;
    const list = [...deployments.values()]
      .filter(
        (d) =>
          (!q.get('sha') || d.sha === q.get('sha')) &&
          (!q.get('ref') || d.ref === q.get('ref')) &&
          (!q.get('task') || d.task === q.get('task')) &&
          (!q.get('environment') || d.environment === q.get('environment')),
      )
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id - a.id);
    const { slice, headers } = paginate(list, req, base);
    return { status: 200, headers, body: slice.map(render(base).deployment) };
  });

  on('GET', '/deployments/(\\d+)', (m, _req, base) => {
    const d = deployments.get(Number(m[1]));
    return d ? { status: 200, body: render(base).deployment(d) } : notFound();
  });

  on('POST', '/deployments/(\\d+)/statuses', (m, req, base) => {
    const d = deployments.get(Number(m[1]));
    if (!d) return notFound();
    const body = bodyOf(req);
    const docs = 'https://docs.github.com/rest/deployments/statuses#create-a-deployment-status';
    if (typeof body.state !== 'string' || !DEPLOYMENT_STATES.has(body.state)) {
      return validation(
        'DeploymentStatus',
        'state',
        body.state === undefined ? 'missing_field' : 'invalid',
        undefined,
        docs,
      );
    }
    const spec: GitHubDeploymentStatusScenario & { environment?: string; target_url?: string } = {
      state: body.state as DeploymentState,
    };
    for (const k of [
      'description',
      'log_url',
      'environment_url',
      'environment',
      'target_url',
    ] as const) {
      if (typeof body[k] === 'string') spec[k] = body[k] as string;
    }
    const s = addStatus(d, spec, body.auto_inactive !== false);
    return { status: 201, body: render(base).status(s) };
  });

  on('GET', '/deployments/(\\d+)/statuses', (m, req, base) => {
    if (!deployments.has(Number(m[1]))) return notFound();
    const list = statuses.filter((s) => s.deployment_id === Number(m[1])).reverse();
    const { slice, headers } = paginate(list, req, base);
    return { status: 200, headers, body: slice.map(render(base).status) };
  });

  on('GET', '/deployments/(\\d+)/statuses/(\\d+)', (m, _req, base) => {
    const s = statuses.find((x) => x.deployment_id === Number(m[1]) && x.id === Number(m[2]));
    return s ? { status: 200, body: render(base).status(s) } : notFound();
  });

  on('GET', '/actions/runs/(\\d+)', (m, _req, base) => {
    const r = workflowRuns.get(Number(m[1]));
    return r ? { status: 200, body: render(base).run(r) } : notFound();
  });

  const jobsOf = (
    r: GitHubWorkflowRunScenario,
    req: GitHubRequest,
    base: string,
    attempt?: number,
  ) => {
    const latest = r.run_attempt ?? 1;
    const all = (r.jobs ?? []).map((j, n) => render(base).job(r, j, n));
    const wanted =
      attempt !== undefined
        ? all.filter((j) => j.run_attempt === attempt)
        : req.query.get('filter') === 'all'
          ? all
          : all.filter((j) => j.run_attempt === latest);
    const { slice, headers } = paginate(wanted, req, base);
    return { status: 200, headers, body: { total_count: wanted.length, jobs: slice } };
  };

  on('GET', '/actions/runs/(\\d+)/jobs', (m, req, base) => {
    const r = workflowRuns.get(Number(m[1]));
    return r ? jobsOf(r, req, base) : notFound();
  });

  on('GET', '/actions/runs/(\\d+)/attempts/(\\d+)/jobs', (m, req, base) => {
    const r = workflowRuns.get(Number(m[1]));
    return r ? jobsOf(r, req, base, Number(m[2])) : notFound();
  });

  let remaining = 5_000;

  return {
    state,
    // Errors are answered, not thrown: a 422 carries GitHub's `errors[]`, which the server's
    // generic GitHubError mapping would drop.
    async handle(req) {
      const method = req.method.toUpperCase();
      if (method !== 'GET' && method !== 'HEAD') state.writeCalls++;
      if (scenario?.token) {
        const auth = header(req.headers, 'authorization');
        if (!auth)
          return {
            status: 401,
            body: { message: 'Requires authentication', documentation_url: DOCS },
          };
        const sent = auth.replace(/^(token|bearer)\s+/i, '');
        if (sent !== scenario.token)
          return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS } };
      }
      const host = header(req.headers, 'host') ?? '127.0.0.1';
      const base = `http://${host}`;
      remaining = Math.max(0, remaining - 1);
      const rate = {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-used': String(5_000 - remaining),
        'x-ratelimit-reset': String(Math.floor(clock.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
      };
      for (const [routeMethod, pattern, handler] of routes) {
        if (routeMethod !== (method === 'HEAD' ? 'GET' : method)) continue;
        const m = pattern.exec(req.path.replace(/\/+$/, ''));
        if (!m) continue;
        const res = handler(m, req, base);
        return { ...res, headers: { ...rate, ...res.headers } };
      }
      return {
        status: 404,
        headers: rate,
        body: { message: 'Not Found', documentation_url: DOCS },
      };
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
