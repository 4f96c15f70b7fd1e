// Which AWS permissions a job of our workflows needs, derived from what runs in it rather than
// listed by hand: the SDK commands each of our actions imports (following its imports from its
// entry, so a new command, action or AWS client shows up here by itself), the registry API its
// code speaks, the AWS CLI commands of `run:` scripts, and what each third-party action does with
// the job's credentials. What cannot be derived fails loudly: an AWS client package, a CLI
// service or a third-party action this module does not know is an error, never an empty set.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../harness/index.ts';
import type { Job, Step } from './workflow-files.ts';
import { ourAction } from './workflow-files.ts';

/** IAM service prefix of each AWS SDK v3 client package. */
const SDK_PREFIX: Record<string, string> = {
  'client-ecs': 'ecs',
  'client-ecr': 'ecr',
  'client-codedeploy': 'codedeploy',
  'client-cloudwatch-logs': 'logs',
  'client-sts': 'sts',
};

/** IAM service prefix of each AWS CLI command group. */
const CLI_PREFIX: Record<string, string> = {
  ecs: 'ecs',
  ecr: 'ecr',
  deploy: 'codedeploy',
  logs: 'logs',
  sts: 'sts',
};

/**
 * Permissions AWS checks beyond the API call's own, from the service documentation: registering
 * a task definition hands its task and execution roles to ECS (iam:PassRole) and tags it
 * (ecs:TagResource, when it has tags); a CodeDeploy deployment registers its revision and reads
 * its deployment configuration.
 */
const IMPLIED: Record<string, string[]> = {
  'ecs:RegisterTaskDefinition': ['iam:PassRole', 'ecs:TagResource'],
  'codedeploy:CreateDeployment': [
    'codedeploy:RegisterApplicationRevision',
    'codedeploy:GetDeploymentConfig',
  ],
};

/** ECR's registry API, as IAM names it: pulling reads manifests and layers, pushing writes them. */
export const ECR_PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
export const ECR_PUSH = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  // Docker and BuildKit read the manifest they are about to replace.
  'ecr:BatchGetImage',
];

/**
 * What each third-party action of our workflows does with the job's AWS credentials. An action
 * missing here fails the derivation: say what it calls before a workflow uses it.
 */
const THIRD_PARTY: Record<string, (step: Step) => string[]> = {
  'actions/checkout': () => [],
  // Its own call (sts:AssumeRoleWithWebIdentity) is allowed by the role's trust policy, not by
  // its permissions.
  'aws-actions/configure-aws-credentials': () => [],
  'aws-actions/amazon-ecr-login': () => ['ecr:GetAuthorizationToken'],
  'docker/setup-buildx-action': () => [],
  'docker/build-push-action': (step) => {
    const w = step.with ?? {};
    const push = String(w.push ?? 'false') === 'true';
    const cacheFrom = /type=registry/.test(String(w['cache-from'] ?? ''));
    return [...(push ? ECR_PUSH : []), ...(cacheFrom ? ECR_PULL : [])];
  },
  'github/codeql-action/upload-sarif': () => [],
};

const RELATIVE_IMPORT = /(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/g;
const SDK_IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s+from\s+'@aws-sdk\/([\w-]+)'/g;

/** Every source file an action's entry reaches through relative imports. */
export function moduleGraph(action: string): string[] {
  const entry = path.join(repoRoot, 'src', 'actions', action, 'index.ts');
  if (!existsSync(entry)) throw new Error(`actions/${action}: no src/actions/${action}/index.ts`);
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)) {
      visit(path.resolve(path.dirname(file), m[1]!));
    }
  };
  visit(entry);
  return [...seen].sort();
}

/** The IAM actions an action's code can call: its SDK commands and paginators, its registry use. */
export function actionCalls(action: string): Set<string> {
  const calls = new Set<string>();
  const registry = { used: false, read: false, write: false };
  for (const file of moduleGraph(action)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SDK_IMPORT)) {
      if (m[1]) continue; // `import type { … }`: no call
      const prefix = SDK_PREFIX[m[3]!];
      const names = m[2]!
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '' && !n.startsWith('type '))
        .map((n) => n.split(/\s+as\s+/)[0]!);
      const operations = names.flatMap((n) => {
        const command = /^(\w+)Command$/.exec(n);
        if (command) return [command[1]!];
        const paginator = /^paginate(\w+)$/.exec(n);
        return paginator ? [paginator[1]!] : [];
      });
      if (operations.length === 0) continue;
      if (!prefix) {
        throw new Error(
          `${path.relative(repoRoot, file)} calls @aws-sdk/${m[3]}: give its IAM prefix in SDK_PREFIX`,
        );
      }
      for (const op of operations) calls.add(`${prefix}:${op}`);
    }
    // The registry HTTP API (/v2/<name>/manifests|blobs/<reference>), spoken by our own client:
    // the methods the file that builds those URLs sends say whether it pulls or pushes.
    if (/[`'"]\/v2\/\$\{/.test(text)) {
      registry.used = true;
      if (/'(GET|HEAD)'/.test(text)) registry.read = true;
      if (/'(PUT|POST|PATCH|DELETE)'/.test(text)) registry.write = true;
    }
  }
  if (registry.used) {
    if (registry.read) for (const a of ECR_PULL) calls.add(a);
    if (registry.write) for (const a of ECR_PUSH) calls.add(a);
  }
  return withImplied(calls);
}

function withImplied(calls: Set<string>): Set<string> {
  for (const call of [...calls]) for (const extra of IMPLIED[call] ?? []) calls.add(extra);
  return calls;
}

function kebabToPascal(command: string): string {
  return command.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** `aws <service> <command>` invocations in a script, as IAM actions. */
export function cliCalls(script: string): string[] {
  const calls: string[] = [];
  for (const m of script.matchAll(/(?:^|[\s$(;|&])aws\s+([a-z0-9-]+)\s+([a-z0-9-]+)/g)) {
    const prefix = CLI_PREFIX[m[1]!];
    if (!prefix)
      throw new Error(`aws ${m[1]} ${m[2]}: give the CLI service's IAM prefix in CLI_PREFIX`);
    calls.push(`${prefix}:${kebabToPascal(m[2]!)}`);
  }
  return calls;
}

/** Every IAM action one job needs: its steps after credentials, whatever they are. */
export function jobCalls(job: Job): Set<string> {
  const calls = new Set<string>();
  for (const step of job.steps ?? []) {
    if (step.run !== undefined) {
      for (const c of cliCalls(step.run)) calls.add(c);
      continue;
    }
    const uses = step.uses ?? '';
    const ours = ourAction(uses);
    if (ours) {
      for (const c of actionCalls(ours)) calls.add(c);
      continue;
    }
    const name = uses.replace(/@.*$/, '');
    const known = THIRD_PARTY[name];
    if (!known) {
      throw new Error(
        `${uses}: say which AWS calls it makes with the job's credentials (THIRD_PARTY)`,
      );
    }
    for (const c of known(step)) calls.add(c);
  }
  return withImplied(calls);
}

/** The workflow input a job's configure-aws-credentials step takes its role from, if any. */
export function jobRoleInput(job: Job): string | undefined {
  const step = (job.steps ?? []).find((s) =>
    s.uses?.startsWith('aws-actions/configure-aws-credentials@'),
  );
  if (!step) return undefined;
  const role = String(step.with?.['role-to-assume'] ?? '');
  const m = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(role);
  if (!m) throw new Error(`role-to-assume: '${role}' is not one workflow input`);
  return m[1];
}
