// The IAM roles documented in docs/iam are exactly what the reusable workflows need: each role's
// permission policy allows every AWS call the jobs that assume it make (derived from the code
// and the workflow steps, see aws-calls.ts) and nothing more, and each trust policy lets in only
// the jobs meant to hold the role.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/index.ts';
import { type TrustPolicy, trustAllows } from '../sandbox/services/sts.ts';
import { cliCalls, jobCalls, jobRoleInput } from './aws-calls.ts';
import { type Workflow, workflowFiles } from './workflow-files.ts';

/** Which documented role each role input of our reusable workflows is. */
const ROLES: Record<string, { workflow: string; input: string }> = {
  'build-role': { workflow: '.github/workflows/deploy.yml', input: 'build-role-to-assume' },
  'deploy-role': { workflow: '.github/workflows/deploy.yml', input: 'deploy-role-to-assume' },
  'image-scan-role': { workflow: '.github/workflows/image-scan.yml', input: 'role-to-assume' },
};

const PLACEHOLDERS = new Set([
  'REGION',
  'ACCOUNT',
  'REPOSITORY',
  'PR_REPOSITORY',
  'CLUSTER',
  'SERVICE',
  'FAMILY',
  'TASK_ROLE',
  'EXECUTION_ROLE',
  'APPLICATION',
  'DEPLOYMENT_GROUP',
  'OWNER',
  'REPO',
  'ENVIRONMENT',
]);

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

const iamDir = path.join(repoRoot, 'docs', 'iam');
const readJson = (file: string) => JSON.parse(readFileSync(path.join(iamDir, file), 'utf8'));
const reusable = workflowFiles().filter((w) => w.file.startsWith('.github/workflows/'));
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

function policyActions(role: string): string[] {
  const policy = readJson(`${role}.policy.json`) as { Statement: Statement[] };
  return policy.Statement.flatMap((s) => list(s.Action));
}

/** The calls of every job whose credentials come from this role input. */
function neededBy(wf: Workflow, input: string): Set<string> {
  const needed = new Set<string>();
  for (const job of Object.values(wf.doc.jobs)) {
    if (jobRoleInput(job) === input) for (const c of jobCalls(job)) needed.add(c);
  }
  return needed;
}

describe('the IAM roles of the reusable workflows', () => {
  it('documents a role for every role input of every job that gets AWS credentials', () => {
    const inputs = reusable.flatMap((wf) =>
      Object.values(wf.doc.jobs)
        .map(jobRoleInput)
        .filter((i) => i !== undefined)
        .map((input) => `${wf.file} ${input}`),
    );
    const documented = Object.values(ROLES).map((r) => `${r.workflow} ${r.input}`);
    expect([...new Set(inputs)].sort()).toEqual(documented.sort());
    const files = readdirSync(iamDir).sort();
    expect(files).toEqual(
      Object.keys(ROLES)
        .flatMap((r) => [`${r}.policy.json`, `${r}.trust.json`])
        .sort(),
    );
  });

  for (const [role, { workflow, input }] of Object.entries(ROLES)) {
    it(`${role}: allows every call its jobs make, and nothing more`, () => {
      const wf = reusable.find((w) => w.file === workflow)!;
      const needed = neededBy(wf, input);
      const allowed = policyActions(role);
      expect(
        [...needed].filter((a) => !allowed.includes(a)).sort(),
        `missing from docs/iam/${role}.policy.json`,
      ).toEqual([]);
      expect(
        allowed.filter((a) => !needed.has(a)).sort(),
        `allowed by docs/iam/${role}.policy.json but never called`,
      ).toEqual([]);
      expect(new Set(allowed).size, 'an action listed twice').toBe(allowed.length);
    });

    it(`${role}: is a valid policy whose resources name only documented placeholders`, () => {
      const policy = readJson(`${role}.policy.json`) as { Version: string; Statement: Statement[] };
      expect(policy.Version).toBe('2012-10-17');
      for (const s of policy.Statement) {
        expect(s.Effect).toBe('Allow');
        for (const resource of list(s.Resource)) {
          expect(resource === '*' || resource.startsWith('arn:aws:')).toBe(true);
          for (const word of resource.match(/\b[A-Z][A-Z_]{2,}\b/g) ?? []) {
            expect(PLACEHOLDERS, `${role} ${s.Sid}: ${word}`).toContain(word);
          }
        }
      }
    });
  }

  it('gives the roles used outside an environment nothing on ECS, CodeDeploy or IAM', () => {
    for (const role of ['build-role', 'image-scan-role']) {
      expect(policyActions(role).filter((a) => !a.startsWith('ecr:'))).toEqual([]);
    }
    // The pull request role pushes to its own repository, never to the release one.
    const pr = readJson('image-scan-role.policy.json') as { Statement: Statement[] };
    const resources = pr.Statement.flatMap((s) => list(s.Resource)).filter((r) => r !== '*');
    expect(resources.every((r) => r.endsWith(':repository/PR_REPOSITORY'))).toBe(true);
  });
});

describe('the trust policies', () => {
  const provider = 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com';
  const trust = (role: string, values: Record<string, string>): TrustPolicy => {
    let text = readFileSync(path.join(iamDir, `${role}.trust.json`), 'utf8');
    for (const [from, to] of Object.entries({ ACCOUNT: '123456789012', ...values })) {
      text = text.replaceAll(from, to);
    }
    return JSON.parse(text) as TrustPolicy;
  };
  const allows = (policy: TrustPolicy, sub: string, aud = 'sts.amazonaws.com') =>
    trustAllows(policy, provider, {
      'token.actions.githubusercontent.com:sub': sub,
      'token.actions.githubusercontent.com:aud': aud,
    });

  it.each([
    ['build-role', 'repo:acme/web:ref:refs/tags/v1.4.2', true],
    ['build-role', 'repo:acme/web:environment:production', false],
    ['build-role', 'repo:acme/web:ref:refs/heads/main', false],
    ['build-role', 'repo:acme/web:pull_request', false],
    ['build-role', 'repo:acme/web-fork:ref:refs/tags/v1.4.2', false],
    ['deploy-role', 'repo:acme/web:environment:production', true],
    ['deploy-role', 'repo:acme/web:environment:staging', false],
    ['deploy-role', 'repo:acme/web:ref:refs/tags/v1.4.2', false],
    ['deploy-role', 'repo:acme/other:environment:production', false],
    ['image-scan-role', 'repo:acme/web:pull_request', true],
    ['image-scan-role', 'repo:acme/web:ref:refs/tags/v1.4.2', false],
  ])('%s trusts %s: %s', (role, sub, allowed) => {
    const policy = trust(role, { OWNER: 'acme', REPO: 'web', ENVIRONMENT: 'production' });
    expect(allows(policy, sub)).toBe(allowed);
  });

  it('trusts only tokens meant for STS', () => {
    const policy = trust('deploy-role', { OWNER: 'acme', REPO: 'web', ENVIRONMENT: 'production' });
    expect(allows(policy, 'repo:acme/web:environment:production', 'https://example.com')).toBe(
      false,
    );
  });
});

describe('deriving the calls', () => {
  it('reads the AWS CLI commands of run: scripts', () => {
    expect(cliCalls('d=$(aws ecr describe-images --repository-name "$R")')).toEqual([
      'ecr:DescribeImages',
    ]);
    expect(cliCalls('aws deploy get-deployment-config --deployment-config-name x')).toEqual([
      'codedeploy:GetDeploymentConfig',
    ]);
    expect(() => cliCalls('aws s3 cp a b')).toThrow(/aws s3 cp: give the CLI service/);
  });

  it('refuses a third-party action it does not know instead of assuming it calls nothing', () => {
    expect(() => jobCalls({ steps: [{ uses: 'someone/push-to-ecr@v1' }] })).toThrow(
      /someone\/push-to-ecr@v1: say which AWS calls it makes/,
    );
  });

  it('counts the pulls of a cache-from and the implied permissions of what is called', () => {
    const build = jobCalls({
      steps: [
        {
          uses: 'docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83',
          with: { push: 'true', 'cache-from': 'type=registry,ref=x' },
        },
      ],
    });
    expect(build.has('ecr:GetDownloadUrlForLayer')).toBe(true);
    const deploy = jobCalls({ steps: [{ uses: './.fargate-delivery/actions/deploy' }] });
    expect(deploy.has('iam:PassRole')).toBe(true);
    expect(deploy.has('codedeploy:RegisterApplicationRevision')).toBe(true);
  });
});
