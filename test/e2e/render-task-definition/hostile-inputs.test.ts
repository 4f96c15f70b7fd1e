// The built render-task-definition bundle, run as the runner runs it against the sandbox, given
// inputs and files that carry credentials, command syntax or far too much: what reaches the log,
// the annotations and the job summary, and whether anything was read from AWS first.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderGitHub } from '../../harness/github-markdown.ts';
import { repoRoot, runAction } from '../../harness/index.ts';
import { stepCommands } from '../../harness/runner-commands.ts';
import { type Sandbox, start } from '../../sandbox/index.ts';
import { fixtureWorkspace } from './workspace.ts';

const ACTION = 'render-task-definition';
const SCENARIO = path.join(repoRoot, 'test/fixtures/render-task-definition/sandbox/scenario.yaml');
const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----',
];

let sandbox: Sandbox;
let workspace: ReturnType<typeof fixtureWorkspace>;

beforeAll(async () => {
  sandbox = await start(SCENARIO);
  workspace = fixtureWorkspace();
  const base = JSON.parse(
    readFileSync(path.join(workspace.dir, 'deploy/fargate-web.json'), 'utf8'),
  ) as { containerDefinitions: Array<Record<string, unknown>> };
  const environment = Array.from({ length: 3000 }, (_, i) => ({
    name: `FEATURE_FLAG_${i}`,
    value: `enabled-for-tenant-${i}-${'x'.repeat(50)}`,
  }));
  base.containerDefinitions[0]!.environment = environment;
  writeFileSync(path.join(workspace.dir, 'deploy/huge.json'), JSON.stringify(base));
  // 50 MB of valid YAML: refused by its size, before a parser would spend seconds on it.
  const lines = ['family: web', 'containerDefinitions:', '  - name: web', '    image: acme/web:1'];
  const comment = `# ${'padding '.repeat(12)}\n`;
  writeFileSync(
    path.join(workspace.dir, 'deploy/50mb.yaml'),
    `${lines.join('\n')}\n${comment.repeat(Math.ceil(50e6 / comment.length))}`,
  );
});
afterAll(async () => {
  await sandbox?.stop();
  workspace?.cleanup();
});

async function render(inputs: Record<string, string>) {
  const first = sandbox.calls.length;
  const result = await runAction(ACTION, { workspace: workspace.dir, inputs, env: sandbox.env });
  return { ...result, calls: sandbox.calls.slice(first), commands: stepCommands(result) };
}

describe('a task definition over ECS’s 64 KiB fails at once, reading nothing from AWS', () => {
  test('a 240 KB definition file', async () => {
    const result = await render({ 'task-definition': 'deploy/huge.json' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^task-definition: deploy\/huge\.json is [\d.,]+ KiB \([\d,]+ bytes\) as JSON, over ECS's limit of 64 KiB \(65,536 bytes\) per task definition/,
      ),
    ]);
    expect(result.calls).toEqual([]);
    expect(result.outputs).toEqual({});
  });

  test('a 50 MB file is refused by its size, unread', async () => {
    const result = await render({ 'task-definition': 'deploy/50mb.yaml' });
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^task-definition: deploy\/50mb\.yaml is [\d,.]+ KiB \([\d,]+ bytes\); ECS takes a task definition of at most 64 KiB/,
      ),
    ]);
    expect(result.calls).toEqual([]);
  });

  test('inputs that alone exceed it, before the live revision is read', async () => {
    const environment = Array.from({ length: 2000 }, (_, i) => `VAR_${i}=${'v'.repeat(40)}`);
    const result = await render({
      'task-definition-family': 'web',
      'environment-variables': environment.join('\n'),
    });
    expect(result.errors).toEqual([
      expect.stringMatching(
        /^what environment-variables, secrets, docker-labels and merge add is .* over ECS's limit/,
      ),
    ]);
    expect(result.calls).toEqual([]);
  });
});

describe('credentials in inputs never reach the log, an annotation or the summary', () => {
  test('a PEM key pasted across environment-variables lines: the error names the line and the key', async () => {
    const result = await render({
      'task-definition-family': 'web',
      'environment-variables': [`TLS_KEY=${PEM[0]}`, ...PEM.slice(1)].join('\n'),
    });
    expect(result.errors).toEqual([
      "environment-variables: line 2: expected KEY=VALUE, got a line with no '=' (the line before sets 'TLS_KEY': a value cannot span lines)",
    ]);
    for (const line of PEM.slice(1, 3)) {
      expect(result.stdout + result.stderr).not.toContain(line.slice(0, 16));
    }
    expect(result.calls).toEqual([]);
  });

  test('a secret value given where its ARN belongs is not echoed', async () => {
    const result = await render({
      'task-definition-family': 'web',
      secrets: 'DB_PASSWORD=hunter2 correct horse',
    });
    expect(result.errors).toEqual([
      "secrets: line 1: the value of 'DB_PASSWORD' is not an SSM parameter ARN, a Secrets Manager secret ARN or a parameter name",
    ]);
    expect(result.stdout + result.stderr).not.toContain('hunter2');
  });

  test('the summary names added and changed variables without their values, unless show-values', async () => {
    const inputs = {
      'task-definition-family': 'web',
      'environment-variables': 'DATABASE_URL=postgres://app:S3cret@db/app\nPORT=9090',
    };
    const hidden = await render(inputs);
    expect(hidden.exitCode, hidden.stderr).toBe(0);
    expect(hidden.summary).toContain(
      '+ containerDefinitions[web].environment[DATABASE_URL] (added)',
    );
    expect(hidden.summary).toContain('! containerDefinitions[web].environment[PORT] (changed)');
    for (const where of [hidden.summary, hidden.stdout, hidden.stderr]) {
      expect(where).not.toContain('S3cret');
      expect(where).not.toContain('9090');
    }
    const shown = await render({ ...inputs, 'show-values': 'true' });
    expect(shown.summary).toContain(
      '+ containerDefinitions[web].environment[DATABASE_URL].value: postgres://app:S3cret@db/app',
    );
  });
});

describe('command syntax and Markdown in a definition stay text', () => {
  test('values with line breaks, workflow commands and fences, shown with show-values', async () => {
    const hostile = 'x\n::error::forged\n::add-mask::S3cret\n```\n## Forged @org/team <img src=x>';
    const result = await render({
      'task-definition-family': 'web',
      'environment-variables': 'GREETING=hello',
      'docker-labels': `team=${hostile.replace(/\n/g, ' ')}`,
      command: JSON.stringify(['node', hostile]),
      'show-values': 'true',
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.commands).toEqual([]);
    const rendered = renderGitHub(result.summary);
    expect(rendered.headings.some((h) => h.includes('Forged'))).toBe(false);
    expect(rendered.images).toEqual([]);
    expect(rendered.mentions).toEqual([]);
  });
});
