// A small in-memory GitHub REST server for the deploy-budget unit tests: deployments and their
// statuses, a workflow run and its jobs, issues and comments, with GitHub's Link pagination. It
// answers only what the action calls; anything else is a 404 the test will notice.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeDeployment {
  id: number;
  environment: string;
  task: string;
  ref: string;
  payload: unknown;
  created_at: string;
  statuses: Array<{ state: string; description?: string; log_url?: string }>;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  comments: string[];
  pull_request?: unknown;
  /** Set on every write; issues a test seeds without it read as last updated at the epoch. */
  updated_at?: string;
}

export interface FakeGitHub {
  url: string;
  deployments: FakeDeployment[];
  issues: FakeIssue[];
  run: { run_started_at: string; jobs: unknown[] } | undefined;
  requests: string[];
  /** Requests to answer with this status instead (by `METHOD /path` prefix). */
  failures: Map<string, number>;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

function page<T>(res: ServerResponse, url: URL, items: T[], wrap?: (items: T[]) => unknown) {
  const perPage = Number(url.searchParams.get('per_page') ?? 30);
  const number = Number(url.searchParams.get('page') ?? 1);
  const slice = items.slice((number - 1) * perPage, number * perPage);
  if (number * perPage < items.length) {
    const next = new URL(url);
    next.searchParams.set('page', String(number + 1));
    res.setHeader('link', `<${next.toString()}>; rel="next"`);
  }
  send(res, 200, wrap ? wrap(slice) : slice);
}

function send(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const state: Omit<FakeGitHub, 'url' | 'close'> = {
    deployments: [],
    issues: [],
    run: undefined,
    requests: [],
    failures: new Map(),
  };
  let nextId = 1000;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const route = `${req.method} ${url.pathname}`;
    state.requests.push(route);
    for (const [prefix, status] of state.failures) {
      if (route.startsWith(prefix))
        return send(res, status, { message: 'Resource not accessible by integration' });
    }
    const input = await body(req);
    if (route.match(/^GET \/repos\/[^/]+\/[^/]+\/deployments$/)) {
      const environment = url.searchParams.get('environment');
      const task = url.searchParams.get('task');
      const found = [...state.deployments]
        .reverse()
        .filter(
          (d) => (!environment || d.environment === environment) && (!task || d.task === task),
        );
      return page(res, url, found);
    }
    if (route.match(/^POST \/repos\/[^/]+\/[^/]+\/deployments$/)) {
      const deployment: FakeDeployment = {
        id: nextId++,
        environment: String(input.environment),
        task: String(input.task ?? 'deploy'),
        ref: String(input.ref),
        payload: input.payload ?? {},
        created_at: new Date().toISOString(),
        statuses: [],
      };
      state.deployments.push(deployment);
      return send(res, 201, deployment);
    }
    const status = /^POST \/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(route);
    if (status) {
      const deployment = state.deployments.find((d) => d.id === Number(status[1]));
      if (!deployment) return send(res, 404, { message: 'Not Found' });
      deployment.statuses.push(input as FakeDeployment['statuses'][number]);
      return send(res, 201, { id: nextId++, ...input });
    }
    const run = /^GET \/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)(\/jobs)?$/.exec(route);
    if (run) {
      if (!state.run) return send(res, 404, { message: 'Not Found' });
      if (!run[2])
        return send(res, 200, {
          id: Number(run[1]),
          run_started_at: state.run.run_started_at,
          created_at: state.run.run_started_at,
        });
      return page(res, url, state.run.jobs, (jobs) => ({
        total_count: state.run!.jobs.length,
        jobs,
      }));
    }
    if (route.match(/^GET \/repos\/[^/]+\/[^/]+\/issues$/)) {
      const label = url.searchParams.get('labels');
      const wanted = url.searchParams.get('state') ?? 'open';
      const found = [...state.issues]
        .reverse()
        .filter(
          (i) => (!label || i.labels.includes(label)) && (wanted === 'all' || i.state === wanted),
        );
      return page(res, url, found.map(toApi));
    }
    if (route.match(/^POST \/repos\/[^/]+\/[^/]+\/issues$/)) {
      const issue: FakeIssue = {
        number: state.issues.length + 1,
        title: String(input.title),
        body: String(input.body ?? ''),
        state: 'open',
        labels: (input.labels as string[]) ?? [],
        comments: [],
        updated_at: new Date().toISOString(),
      };
      state.issues.push(issue);
      return send(res, 201, toApi(issue));
    }
    const edit = /^(PATCH|POST) \/repos\/[^/]+\/[^/]+\/issues\/(\d+)(\/comments)?$/.exec(route);
    if (edit) {
      const issue = state.issues.find((i) => i.number === Number(edit[2]));
      if (!issue) return send(res, 404, { message: 'Not Found' });
      issue.updated_at = new Date().toISOString();
      if (edit[3]) {
        issue.comments.push(String(input.body));
        return send(res, 201, { id: nextId++, body: input.body });
      }
      if (typeof input.title === 'string') issue.title = input.title;
      if (typeof input.body === 'string') issue.body = input.body;
      if (input.state === 'open' || input.state === 'closed') issue.state = input.state;
      return send(res, 200, toApi(issue));
    }
    send(res, 404, { message: `fake GitHub has no route ${route}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const toApi = (issue: FakeIssue) => ({
    ...issue,
    html_url: `https://github.com/acme/web/issues/${issue.number}`,
    labels: issue.labels.map((name) => ({ name })),
    comments: issue.comments.length,
    updated_at: issue.updated_at ?? new Date(0).toISOString(),
  });
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
