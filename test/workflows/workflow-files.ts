// The workflow files under test, read once, with the questions the contract and security tests
// ask of them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../harness/index.ts';

export const WORKFLOW_DIRS = ['.github/workflows', 'workflows-examples'];

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: unknown;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  uses?: string;
  with?: Record<string, unknown>;
  permissions?: unknown;
  outputs?: Record<string, string>;
  steps?: Step[];
}

export interface Workflow {
  file: string;
  text: string;
  doc: {
    on: Record<string, unknown> & {
      workflow_call?: {
        inputs?: Record<string, { required?: boolean; default?: unknown }>;
        outputs?: Record<string, { value: string }>;
      };
    };
    jobs: Record<string, Job>;
  };
}

export function workflowFiles(): Workflow[] {
  return WORKFLOW_DIRS.flatMap((dir) =>
    readdirSync(path.join(repoRoot, dir))
      .filter((n) => /\.ya?ml$/.test(n))
      .sort()
      .map((n) => {
        const file = `${dir}/${n}`;
        const text = readFileSync(path.join(repoRoot, file), 'utf8');
        // `on` is not a boolean here, whatever YAML 1.1 thinks.
        return { file, text, doc: parseYaml(text, { version: '1.2' }) as Workflow['doc'] };
      }),
  );
}

/** `./actions/x`, `./<checkout>/actions/x` or `<owner>/fargate-delivery/actions/x@ref` → `x`. */
export function ourAction(uses: string): string | undefined {
  const local = /^\.\/(?:[^/]+\/)?actions\/([\w-]+)$/.exec(uses);
  if (local) return local[1];
  return /^[^/]+\/fargate-delivery\/actions\/([\w-]+)@.+$/.exec(uses)?.[1];
}

/** `<owner>/fargate-delivery/.github/workflows/x.yml@ref` or `./.github/workflows/x.yml` → the file. */
export function ourWorkflow(uses: string): string | undefined {
  const m =
    /^[^/]+\/fargate-delivery\/(\.github\/workflows\/[\w.-]+\.ya?ml)@.+$/.exec(uses) ??
    /^\.\/(\.github\/workflows\/[\w.-]+\.ya?ml)$/.exec(uses);
  return m?.[1];
}

/** Every string inside a value (scalars of nested maps and lists). */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The text of every `${{ … }}` in a string. */
export function expressions(text: string): string[] {
  return [...text.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]!.trim());
}

/** `ctx.a.b` references (`steps.x.outputs.y` → ['x', 'outputs', 'y']) in expressions and `if:`s. */
export function references(texts: string[], context: string): string[][] {
  const found: string[][] = [];
  const pattern = new RegExp(`\\b${context}((?:\\.[A-Za-z_][\\w-]*)+)`, 'g');
  for (const text of texts) {
    for (const m of text.matchAll(pattern)) found.push(m[1]!.slice(1).split('.'));
  }
  return found;
}

export function needsOf(job: Job): string[] {
  if (job.needs === undefined) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}
