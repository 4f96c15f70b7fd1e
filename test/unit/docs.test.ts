import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { type ActionMetadata, readActionMetadata, repoRoot } from '../harness/index.ts';

const actions = readdirSync(path.join(repoRoot, 'actions'), { withFileTypes: true })
  .filter(
    (d) => d.isDirectory() && existsSync(path.join(repoRoot, 'actions', d.name, 'action.yml')),
  )
  .map((d) => d.name);

const metadata = new Map<string, ActionMetadata>(
  actions.map((name) => [name, readActionMetadata(name)]),
);

interface Block {
  lang: string;
  text: string;
  /** 1-based line of the opening fence, so a failure points into the README. */
  line: number;
  offset: number;
}

function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const match of markdown.matchAll(/^```([\w-]*)\n([\s\S]*?)^```[ \t]*$/gm)) {
    const line = markdown.slice(0, match.index).split('\n').length;
    blocks.push({ lang: match[1] ?? '', text: match[2] ?? '', line, offset: match.index });
  }
  return blocks;
}

/** `## heading` → the text up to the next `## ` heading. */
function sections(markdown: string): Map<string, string> {
  const result = new Map<string, string>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const newline = part.indexOf('\n');
    result.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return result;
}

type Step = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Steps in a step list, a job (`steps:`) or a workflow (`jobs:`); nothing in anything else. */
function stepsOf(value: unknown): Step[] {
  if (Array.isArray(value)) return value.filter(isRecord);
  if (!isRecord(value)) return [];
  if (Array.isArray(value.steps)) return value.steps.filter(isRecord);
  if (isRecord(value.jobs)) return Object.values(value.jobs).flatMap(stepsOf);
  return [];
}

/** The suite action a `uses:` names (`<owner>/fargate-delivery/actions/<name>@<ref>` or `./actions/<name>`). */
function suiteAction(step: Step): string | undefined {
  if (typeof step.uses !== 'string') return undefined;
  return /^(?:[^/\s]+\/[^/\s]+|\.)\/actions\/([a-z0-9-]+)(?:@|$)/.exec(step.uses)?.[1];
}

interface Readme {
  text: string;
  sections: Map<string, string>;
  yaml: Array<Block & { value: unknown; errors: string[] }>;
  steps: Step[];
}

function readReadme(action: string): Readme {
  const text = readFileSync(path.join(repoRoot, 'actions', action, 'README.md'), 'utf8');
  const yaml = fencedBlocks(text)
    .filter((b) => b.lang === 'yaml' || b.lang === 'yml')
    .map((b) => {
      const doc = parseDocument(b.text);
      return { ...b, value: doc.toJS(), errors: doc.errors.map((e) => e.message) };
    });
  return { text, sections: sections(text), yaml, steps: yaml.flatMap((b) => stepsOf(b.value)) };
}

/** Pairs of inputs the user gives exactly one of, as action.yml says ("Give this or <other>."). */
function alternatives(meta: ActionMetadata): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, spec] of Object.entries(meta.inputs)) {
    const other = /Give this or ([a-z0-9-]+)/.exec(spec.description ?? '')?.[1];
    if (other && name < other) pairs.push([name, other]);
  }
  return pairs;
}

const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  [key: string]: unknown;
}

/** The `## ` heading a position in the README falls under. */
function headingAt(markdown: string, index: number): string {
  const before = markdown.slice(0, index).match(/^## .*$/gm);
  return before?.at(-1)?.slice(3) ?? '';
}

function iamPolicies(readme: Readme): Array<{ line: number; policy: unknown }> {
  return fencedBlocks(readme.text)
    .filter((b) => b.lang === 'json')
    .filter((b) => /\bIAM\b/.test(headingAt(readme.text, b.offset)))
    .map((b) => ({ line: b.line, policy: JSON.parse(b.text) as unknown }));
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

function grantedActions(readme: Readme): string[] {
  return iamPolicies(readme).flatMap(({ policy }) =>
    asList((policy as { Statement?: unknown }).Statement)
      .filter((s): s is Statement => isRecord(s) && s.Effect === 'Allow')
      .flatMap((s) => asList(s.Action).map(String)),
  );
}

function grants(granted: string[], call: string): boolean {
  return granted.some((pattern) => {
    const [service, operation = ''] = pattern.split(':');
    const [callService, callOperation = ''] = call.split(':');
    if (service?.toLowerCase() !== callService?.toLowerCase()) return false;
    const glob = new RegExp(
      `^${operation.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`,
      'i',
    );
    return glob.test(callOperation);
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** IAM prefixes that differ from the SDK package's suffix (`@aws-sdk/client-<suffix>`). */
const IAM_PREFIX: Record<string, string> = {
  'cloudwatch-logs': 'logs',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
};

/**
 * `service:Operation` for every SDK command the action's source sends. The IAM prefix of each
 * AWS client is its package's suffix (ecs, ecr, codedeploy), or the one IAM_PREFIX names.
 */
function awsCalls(action: string): string[] {
  const calls = new Set<string>();
  for (const file of sourceFiles(path.join(repoRoot, 'src', 'actions', action))) {
    const source = readFileSync(file, 'utf8');
    const imports = source.matchAll(
      /import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g,
    );
    for (const [, names = '', service = ''] of imports) {
      for (const raw of names.split(',')) {
        const name = raw.trim();
        if (!/^[A-Z]\w*Command$/.test(name)) continue;
        if (source.includes(`new ${name}(`))
          calls.add(`${IAM_PREFIX[service!] ?? service}:${name.slice(0, -'Command'.length)}`);
      }
    }
  }
  return [...calls].sort();
}

test('there are actions to document', () => {
  expect(actions.length).toBeGreaterThan(0);
});

describe.each(actions)('actions/%s/README.md', (action) => {
  const readme = readReadme(action);

  test.each(['Minimal example', 'Full example'])(
    'has a "%s" section whose YAML is a list of steps using the action',
    (heading) => {
      const body = readme.sections.get(heading);
      expect(body, `## ${heading}`).toBeDefined();
      const steps = fencedBlocks(body ?? '')
        .filter((b) => b.lang === 'yaml')
        .flatMap((b) => {
          const value: unknown = parseDocument(b.text).toJS();
          return Array.isArray(value) ? value.filter(isRecord) : [];
        });
      expect(steps.map(suiteAction)).toContain(action);
    },
  );

  test('shows a full example that gives more inputs than the minimal one', () => {
    const inputsGiven = (heading: string) =>
      Math.max(
        0,
        ...fencedBlocks(readme.sections.get(heading) ?? '')
          .filter((b) => b.lang === 'yaml')
          .flatMap((b) => stepsOf(parseDocument(b.text).toJS()))
          .filter((step) => suiteAction(step) === action)
          .map((step) => (isRecord(step.with) ? Object.keys(step.with).length : 0)),
      );
    expect(inputsGiven('Full example')).toBeGreaterThan(inputsGiven('Minimal example'));
  });

  test('has YAML examples that all parse', () => {
    expect(readme.yaml.length).toBeGreaterThan(0);
    for (const block of readme.yaml) {
      expect(block.errors, `yaml block at README.md:${block.line}`).toEqual([]);
    }
  });

  test('passes each suite action only inputs it declares, as plain values', () => {
    for (const step of readme.steps) {
      const used = suiteAction(step);
      if (!used) continue;
      expect(actions, `uses: ${String(step.uses)}`).toContain(used);
      const declared = Object.keys(metadata.get(used)?.inputs ?? {});
      const given = isRecord(step.with) ? step.with : {};
      for (const [key, value] of Object.entries(given)) {
        expect(declared, `${used} step: with.${key}`).toContain(key);
        expect(['string', 'number', 'boolean'], `${used} step: with.${key}`).toContain(
          typeof value,
        );
      }
    }
  });

  test('gives each suite action its required inputs, and one of each either-or pair', () => {
    for (const step of readme.steps) {
      const used = suiteAction(step);
      const usedMeta = used ? metadata.get(used) : undefined;
      if (!usedMeta) continue;
      const given = Object.keys(isRecord(step.with) ? step.with : {});
      for (const [name, spec] of Object.entries(usedMeta.inputs)) {
        if (spec.required) expect(given, `${used} step needs ${name}`).toContain(name);
      }
      for (const pair of alternatives(usedMeta)) {
        const chosen = pair.filter((name) => given.includes(name));
        expect(chosen, `${used} step gives one of ${pair.join(' / ')}`).toHaveLength(1);
      }
    }
  });

  test('reads only outputs that the referenced step declares', () => {
    const actionOf = new Map<string, string>();
    for (const step of readme.steps) {
      const used = suiteAction(step);
      if (!used || typeof step.id !== 'string') continue;
      expect(actionOf.get(step.id) ?? used, `id ${step.id} names two different actions`).toBe(used);
      actionOf.set(step.id, used);
    }
    expect(actionOf.size, 'an example step with an id').toBeGreaterThan(0);
    for (const [, id = '', output = ''] of readme.text.matchAll(
      /steps\.([A-Za-z_][\w-]*)\.outputs\.([\w-]+)/g,
    )) {
      const used = actionOf.get(id);
      if (!used) continue;
      expect(
        Object.keys(metadata.get(used)?.outputs ?? {}),
        `steps.${id}.outputs.${output}`,
      ).toContain(output);
    }
  });

  test('says which IAM permissions it needs, as JSON policies IAM would accept', () => {
    expect([...readme.sections.keys()].some((h) => /\bIAM\b/.test(h))).toBe(true);
    const policies = iamPolicies(readme);
    expect(policies.length).toBeGreaterThan(0);
    for (const { line, policy } of policies) {
      const where = `IAM policy at README.md:${line}`;
      expect(policy, where).toMatchObject({ Version: '2012-10-17' });
      const statements = asList((policy as { Statement?: unknown }).Statement);
      expect(statements.length, where).toBeGreaterThan(0);
      for (const statement of statements as Statement[]) {
        for (const key of Object.keys(statement)) expect(STATEMENT_KEYS, where).toContain(key);
        expect(['Allow', 'Deny'], where).toContain(statement.Effect);
        const actionsListed = asList(statement.Action ?? statement.NotAction);
        expect(actionsListed.length, where).toBeGreaterThan(0);
        for (const name of actionsListed)
          expect(String(name), where).toMatch(/^[a-z0-9-]+:[A-Za-z*]+$/);
        expect(statement.Resource ?? statement.NotResource, where).toBeDefined();
      }
    }
  });

  test('grants every AWS API call the action makes', () => {
    const calls = awsCalls(action);
    expect(calls.length).toBeGreaterThan(0);
    const granted = grantedActions(readme);
    expect(calls.filter((call) => !grants(granted, call))).toEqual([]);
  });
});
