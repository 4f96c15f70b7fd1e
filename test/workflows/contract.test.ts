// Every workflow and example uses our actions and reusable workflows as they are declared:
// only inputs that exist, every required one, only outputs that exist.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readActionMetadata, repoRoot } from '../harness/index.ts';
import {
  needsOf,
  ourAction,
  ourWorkflow,
  references,
  strings,
  type Workflow,
  workflowFiles,
} from './workflow-files.ts';

const files = workflowFiles();

function calledWorkflow(file: string): Workflow['doc'] {
  return parseYaml(readFileSync(path.join(repoRoot, file), 'utf8'), {
    version: '1.2',
  }) as Workflow['doc'];
}

/** The problems of one file, one line each, so a failure names all of them at once. */
function contractProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [jobId, job] of Object.entries(wf.doc.jobs)) {
    const where = `${wf.file} jobs.${jobId}`;
    const steps = job.steps ?? [];
    const actionOfStep = new Map<string, string | undefined>();
    for (const step of steps)
      if (step.id) actionOfStep.set(step.id, step.uses && ourAction(step.uses));

    for (const step of steps) {
      const action = step.uses && ourAction(step.uses);
      if (!action) continue;
      const meta = readActionMetadata(action);
      const given = Object.keys(step.with ?? {});
      for (const name of given) {
        if (!(name in meta.inputs)) problems.push(`${where}: ${action} has no input '${name}'`);
      }
      for (const [name, spec] of Object.entries(meta.inputs)) {
        if (spec.required && spec.default === undefined && !given.includes(name)) {
          problems.push(`${where}: ${action} needs its required input '${name}'`);
        }
      }
    }

    const texts = [...strings(job.steps), ...strings(job.outputs), ...strings(job.with)];
    for (const [id, kind, name] of references(texts, 'steps')) {
      if (!actionOfStep.has(id!)) {
        problems.push(`${where}: steps.${id} is not a step of this job`);
        continue;
      }
      const action = actionOfStep.get(id!);
      if (kind === 'outputs' && action && !(name! in readActionMetadata(action).outputs)) {
        problems.push(`${where}: ${action} has no output '${name}' (steps.${id}.outputs.${name})`);
      }
    }
    for (const [need, kind, name] of references(texts, 'needs')) {
      if (!needsOf(job).includes(need!)) {
        problems.push(`${where}: needs.${need} is not in its needs`);
        continue;
      }
      const needed = wf.doc.jobs[need!]!;
      const declared = needed.uses
        ? Object.keys(calledOutputs(needed.uses))
        : Object.keys(needed.outputs ?? {});
      if (kind === 'outputs' && !declared.includes(name!)) {
        problems.push(`${where}: jobs.${need} has no output '${name}'`);
      }
    }

    if (job.uses) {
      const called = ourWorkflow(job.uses);
      if (!called) continue;
      const inputs = calledWorkflow(called).on.workflow_call?.inputs ?? {};
      const given = Object.keys(job.with ?? {});
      for (const name of given) {
        if (!(name in inputs)) problems.push(`${where}: ${called} has no input '${name}'`);
      }
      for (const [name, spec] of Object.entries(inputs)) {
        if (spec.required && !given.includes(name)) {
          problems.push(`${where}: ${called} needs its required input '${name}'`);
        }
      }
    }
  }

  const call = wf.doc.on.workflow_call;
  if (call) {
    const declared = Object.keys(call.inputs ?? {});
    for (const [name] of references(strings(wf.doc.jobs), 'inputs')) {
      if (!declared.includes(name!)) problems.push(`${wf.file}: inputs.${name} is not declared`);
    }
    for (const [id, kind, name] of references(strings(call.outputs), 'jobs')) {
      const job = wf.doc.jobs[id!];
      if (!job) problems.push(`${wf.file}: outputs read jobs.${id}, which does not exist`);
      else if (kind === 'outputs' && !(name! in (job.outputs ?? {}))) {
        problems.push(`${wf.file}: jobs.${id} has no output '${name}'`);
      }
    }
  }
  return problems;
}

function calledOutputs(uses: string): Record<string, unknown> {
  const called = ourWorkflow(uses);
  return called ? (calledWorkflow(called).on.workflow_call?.outputs ?? {}) : {};
}

describe('the workflows and examples keep the contract of what they call', () => {
  it('finds the workflow files and the uses of our actions in them', () => {
    const uses = files.flatMap((wf) =>
      Object.values(wf.doc.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses ?? '')),
    );
    const ours = new Set(uses.map(ourAction).filter(Boolean));
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        '.github/workflows/deploy.yml',
        '.github/workflows/image-scan.yml',
        'workflows-examples/deploy-on-tag.yml',
        'workflows-examples/pr-image-scan.yml',
        'workflows-examples/deploy-single-action.yml',
        'workflows-examples/multi-service.yml',
      ]),
    );
    expect([...ours].sort()).toEqual([
      'deploy',
      'deploy-budget',
      'ecr-scan',
      'layer-cache',
      'render-task-definition',
    ]);
  });

  for (const wf of files) {
    it(`${wf.file} passes declared inputs, gives the required ones and reads declared outputs`, () => {
      expect(contractProblems(wf)).toEqual([]);
    });
  }

  it('reports an undeclared input, a missing required input and an unknown output', () => {
    const broken: Workflow = {
      file: 'broken.yml',
      text: '',
      doc: {
        on: { workflow_call: { inputs: { service: { required: true } } } },
        jobs: {
          deploy: {
            steps: [
              { id: 'render', uses: './.fargate-delivery/actions/render-task-definition' },
              {
                id: 'deploy',
                uses: 'acme/fargate-delivery/actions/deploy@v1',
                with: {
                  'task-definition': `\${{ steps.render.outputs.task-definition-path }}`,
                  servce: `\${{ inputs.servce }}`,
                },
              },
            ],
          },
        },
      },
    };
    expect(contractProblems(broken)).toEqual([
      "broken.yml jobs.deploy: deploy has no input 'servce'",
      "broken.yml jobs.deploy: deploy needs its required input 'service'",
      "broken.yml jobs.deploy: render-task-definition has no output 'task-definition-path' (steps.render.outputs.task-definition-path)",
      'broken.yml: inputs.servce is not declared',
    ]);
  });
});
