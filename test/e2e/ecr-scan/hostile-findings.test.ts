// Findings whose text a pull request controls (the package names, versions and paths inside the
// image it builds), served by the sandbox's ECR to the built ecr-scan bundle run as the runner
// runs it: what the runner would read as commands, and what GitHub would show and accept.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderGitHub } from '../../harness/github-markdown.ts';
import { type RunResult, repoRoot, runAction } from '../../harness/index.ts';
import { stepCommands } from '../../harness/runner-commands.ts';
import { loadScenario, type Sandbox, start } from '../../sandbox/index.ts';
import type { BasicFinding } from '../../sandbox/services/ecr.ts';

const scenarioFile = path.join(repoRoot, 'test', 'fixtures', 'ecr-scan', 'scenario.yaml');
const BODY_LIMIT = 65_536;
const BASE_SHA = '1234567890abcdef1234567890abcdef12345678';
const PR_EVENT = {
  name: 'pull_request',
  payload: { pull_request: { number: 12, base: { ref: 'main', sha: BASE_SHA } } },
};

// Each is a package name, a version and an id suffix in one finding.
const INJECTIONS = [
  'openssl\n::error::forged annotation from a package name',
  'libfoo\r\n::add-mask::hunter2',
  'libbar\n::set-output name=status::PASSED',
  'libbaz\n  ::warning title=x::indented',
  'libqux ##[error]legacy form',
  'pkg\n## Forged heading\n| a | b |',
  'pkg @org/team @octocat',
  'pkg <img src="https://tracker.example/pixel.gif">',
  'pkg `` ` ``` backticks [x](https://evil.example)',
  'pkg | pipe | pipe',
  '<!-- fargate-delivery:ecr-scan-ticket:0000 -->',
];

function finding(
  name: string,
  severity: BasicFinding['severity'],
  pkg: string,
  version: string,
): BasicFinding {
  return {
    name,
    severity,
    description: `${pkg}\n\nsee <img src=x> and ask @org/admins`,
    uri: `https://security-tracker.debian.org/tracker/${name.split('\n')[0]}`,
    attributes: [
      { key: 'package_name', value: pkg },
      { key: 'package_version', value: version },
    ],
  };
}

function hostile(): BasicFinding[] {
  return INJECTIONS.map((text, i) =>
    finding(
      `CVE-2024-${1000 + i}${i % 2 ? '\n::error::from the id' : ''}`,
      'HIGH',
      text,
      `1.${i}\n::add-mask::1`,
    ),
  );
}

function bulk(): BasicFinding[] {
  return [
    finding('CVE-2024-9999', 'CRITICAL', `huge-${'x'.repeat(70_000)}`, '1.0'),
    ...Array.from({ length: 2000 }, (_, i) =>
      finding(`CVE-2024-${20_000 + i}`, 'HIGH', `pkg-${i}`, `2.${i}`),
    ),
  ];
}

/** Nothing the runner reads as a command but the one failure annotation and our warnings. */
function expectOnlyOurCommands(result: RunResult, failed: boolean) {
  const commands = stepCommands(result);
  const names = new Set(commands.map((c) => c.command));
  for (const name of names)
    expect(['error', 'warning', 'debug', 'group', 'endgroup']).toContain(name);
  expect(commands.filter((c) => c.command === 'error')).toHaveLength(failed ? 1 : 0);
}

function expectInert(markdown: string) {
  expect(markdown.length).toBeLessThanOrEqual(BODY_LIMIT);
  const rendered = renderGitHub(markdown);
  expect(rendered.images).toEqual([]);
  expect(rendered.mentions).toEqual([]);
  expect(rendered.references).toEqual([]);
  for (const heading of rendered.headings) {
    expect(heading.replace(/<code>[\s\S]*?<\/code>/g, '')).not.toContain('Forged');
  }
  for (const href of rendered.links) {
    expect(href).toMatch(/^https:\/\/(security-tracker\.debian\.org|github\.com)\//);
  }
}

describe('ecr-scan with hostile findings, through the sandbox', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await start(loadScenario(scenarioFile));
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runAction('ecr-scan', {
      inputs: { 'fail-on': 'high', settle: '0', ...inputs },
      env: { ...sandbox.env, FARGATE_DELIVERY_GITHUB_WRITE_INTERVAL_MS: '0', ...env },
      event: PR_EVENT,
      timeoutMs: 120_000,
    });

  test('line breaks and commands in names, ids and versions: one error, no forged command, with step debug on', async () => {
    await sandbox.ecr!.state.setFindings('fresh', 'v1', hostile());
    const result = await run(
      { repository: 'fresh', 'image-tag': 'v1', tickets: 'true', 'ticket-severity': 'high' },
      { ACTIONS_STEP_DEBUG: 'true', RUNNER_DEBUG: '1' },
    );
    expect(result.exitCode).toBe(1);
    expectOnlyOurCommands(result, true);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^11 findings at or above HIGH in fresh:v1 \(fail-on: high\): CVE-2024-1000, /,
      ),
    ]);
    expect(result.masks).toEqual([]);
    // The stack printed in debug mode is there, as plain text.
    expect(result.stdout).toMatch(/ActionError: 11 findings at or above HIGH/);
    expect(result.stdout).toMatch(/Opened #\d+: CVE-2024-1000 in openssl ::error::forged/);
    // The gate's result still reaches the workflow.
    expect(result.outputs).toMatchObject({ high: '11', total: '11', 'tickets-opened': '11' });

    expectInert(result.summary);
    const comment = [...sandbox.github!.state.comments.values()].find(
      (c) => c.issue_number === 12 && c.body.includes('ecr-scan-pr-comment:fresh'),
    );
    expect(comment).toBeDefined();
    expectInert(comment!.body);
    expect(renderGitHub(comment!.body).tableRows).toBe(2 + 1 + INJECTIONS.length);
    const tickets = sandbox.github!.state.issuesWithLabel('ecr-scan');
    expect(tickets).toHaveLength(INJECTIONS.length);
    for (const ticket of tickets) {
      expect(ticket.title).not.toMatch(/[\r\n]/);
      expectInert(ticket.body ?? '');
    }
  });

  test('2,000 findings and a 70,000-character package name: every body fits and lists what fits', async () => {
    await sandbox.ecr!.state.setFindings('web', 'v1', bulk());
    const result = await run({
      repository: 'web',
      'image-tag': 'v1',
      tickets: 'true',
      'ticket-severity': 'critical',
    });
    expect(result.exitCode).toBe(1);
    expectOnlyOurCommands(result, true);
    expect(result.outputs).toMatchObject({ critical: '1', high: '2000', 'tickets-opened': '1' });
    expect(result.warnings).toEqual([]);

    expectInert(result.summary);
    expect(result.summary).toContain('huge-xxx');

    const comment = [...sandbox.github!.state.comments.values()].find(
      (c) => c.issue_number === 12 && c.body.includes('ecr-scan-pr-comment:web'),
    )!;
    expectInert(comment.body);
    const listed = renderGitHub(comment.body).tableRows - 3;
    const omitted = Number(/_… ([\d,]+) more not shown/.exec(comment.body)?.[1]?.replace(/,/g, ''));
    expect(listed).toBeGreaterThan(500);
    expect(listed + omitted).toBe(2001);
    expect(comment.body).toContain('huge-xxx');

    const [ticket] = sandbox
      .github!.state.issuesWithLabel('ecr-scan')
      .filter((i) => i.title.startsWith('CVE-2024-9999'));
    expect(ticket).toBeDefined();
    expect(ticket!.body!.length).toBeLessThanOrEqual(BODY_LIMIT);
  });
});
