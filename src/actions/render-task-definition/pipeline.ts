import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { AggregateActionError } from '../../lib/errors.ts';
import { checkDefinitionSize } from '../../lib/task-definition.ts';
import { type Change, diffDefinitions } from './diff.ts';
import type { TaskDefinitionDocument } from './document.ts';
import type { RenderInputs } from './inputs.ts';
import { pinImageDigests } from './pin.ts';
import { imagesOf, renderTaskDefinition } from './render.ts';
import { readLiveDefinition } from './source.ts';
import { validateTaskDefinition } from './validate.ts';

/** Clients are built only when needed, so a plain file render needs no region or credentials. */
export interface Clients {
  ecs: () => ECSClient;
  ecr: () => ECRClient;
}

export interface Rendered {
  definition: TaskDefinitionDocument;
  family: string;
  images: Record<string, string>;
  /** What the render was compared with: the file, or the live revision read from ECS. */
  comparedWith: string;
  changes: Change[];
  pinned: Array<{ container: string; from: string; to: string }>;
}

export function invalidDefinition(problems: readonly string[]): AggregateActionError {
  const summary =
    problems.length === 1
      ? 'task definition is invalid'
      : `task definition has ${problems.length} problems`;
  return new AggregateActionError(summary, problems);
}

/** Reads the source, applies the inputs, validates, and pins digests: everything but writing. */
export async function render(inputs: RenderInputs, clients: Clients): Promise<Rendered> {
  let base: TaskDefinitionDocument;
  let comparedWith: string;
  if (inputs.source.kind === 'file') {
    base = inputs.source.definition;
    comparedWith = inputs.source.path;
  } else {
    const live = await readLiveDefinition(clients.ecs(), inputs.source.reference);
    base = live.definition;
    comparedWith = `live revision ${live.revision}`;
  }
  let definition = renderTaskDefinition(base, inputs);
  const problems = validateTaskDefinition(definition);
  if (problems.length > 0) throw invalidDefinition(problems);
  checkDefinitionSize('the rendered task definition', definition);
  let pinned: Rendered['pinned'] = [];
  if (inputs.pinImageDigest)
    ({ definition, pinned } = await pinImageDigests(clients.ecr(), definition));
  return {
    definition,
    family: String(definition.family),
    images: imagesOf(definition),
    comparedWith,
    changes: diffDefinitions(base, definition),
    pinned,
  };
}

/** Writes the definition to its own directory under `tempDir` and returns the file's path. */
export function writeRendered(
  definition: TaskDefinitionDocument,
  family: string,
  tempDir: string,
): string {
  const dir = mkdtempSync(path.join(tempDir, 'task-definition-'));
  const file = path.join(dir, `${family}.json`);
  writeFileSync(file, `${JSON.stringify(definition, null, 2)}\n`);
  return file;
}
