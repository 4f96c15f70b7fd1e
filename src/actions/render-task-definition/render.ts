import { InputError } from '../../lib/errors.ts';
import {
  type ContainerDocument,
  containerNames,
  containersOf,
  isObject,
  normalizeScalars,
  stripReadOnly,
  type TaskDefinitionDocument,
} from './document.ts';
import { deepMerge } from './merge.ts';
import { INPUT } from './names.ts';
import { parseCpuUnits, parseMemoryMiB } from './sizes.ts';

/** What the inputs ask to change, already parsed and checked one by one. */
export interface RenderSpec {
  containerName?: string;
  image?: string;
  /** `container=image` pairs from the `images` input. */
  images: Array<[string, string]>;
  environment: Array<[string, string]>;
  envFiles: string[];
  secrets: Array<[string, string]>;
  logConfiguration?: Record<string, unknown>;
  dockerLabels: Array<[string, string]>;
  command?: string[];
  cpu?: number;
  memory?: number;
  family?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  merge?: Record<string, unknown>;
}

/** Applies `spec` to `base` and returns the new definition; `base` is left as it was. */
export function renderTaskDefinition(
  base: TaskDefinitionDocument,
  spec: RenderSpec,
): TaskDefinitionDocument {
  let definition = stripReadOnly(structuredClone(base));
  if (spec.merge) definition = stripReadOnly(deepMerge(definition, spec.merge));
  definition = normalizeScalars(
    definition,
    'RegisterTaskDefinitionRequest',
  ) as TaskDefinitionDocument;

  if (spec.family !== undefined) definition.family = spec.family;
  if (spec.taskRoleArn !== undefined) definition.taskRoleArn = spec.taskRoleArn;
  if (spec.executionRoleArn !== undefined) definition.executionRoleArn = spec.executionRoleArn;
  normalizeSize(definition, 'cpu', spec.cpu, parseCpuUnits);
  normalizeSize(definition, 'memory', spec.memory, parseMemoryMiB);

  const target = targetContainer(definition, spec);
  if (target) {
    applyContainerSettings(target, spec);
    if (spec.image !== undefined) target.image = spec.image;
  }
  for (const [name, image] of spec.images)
    findContainer(definition, name, INPUT.images).image = image;
  return definition;
}

function normalizeSize(
  definition: TaskDefinitionDocument,
  key: 'cpu' | 'memory',
  override: number | undefined,
  parse: (text: string) => number | undefined,
) {
  if (override !== undefined) {
    definition[key] = String(override);
    return;
  }
  const value = definition[key];
  const parsed = typeof value === 'string' ? parse(value) : undefined;
  if (parsed !== undefined) definition[key] = String(parsed);
}

function hasContainerSettings(spec: RenderSpec): boolean {
  return (
    spec.image !== undefined ||
    spec.environment.length > 0 ||
    spec.envFiles.length > 0 ||
    spec.secrets.length > 0 ||
    spec.logConfiguration !== undefined ||
    spec.dockerLabels.length > 0 ||
    spec.command !== undefined
  );
}

function listNames(names: string[]): string {
  return names.length === 0 ? 'none' : names.join(', ');
}

function findContainer(
  definition: TaskDefinitionDocument,
  name: string,
  input: string,
): ContainerDocument {
  const container = containersOf(definition).find((c) => c.name === name);
  if (!container) {
    throw new InputError(
      input,
      `no container named '${name}' in the task definition (containers: ${listNames(containerNames(definition))})`,
    );
  }
  return container;
}

/** The container the single-container inputs apply to, if any of them is given. */
function targetContainer(
  definition: TaskDefinitionDocument,
  spec: RenderSpec,
): ContainerDocument | undefined {
  if (spec.containerName !== undefined) {
    return findContainer(definition, spec.containerName, INPUT.containerName);
  }
  if (!hasContainerSettings(spec)) return undefined;
  const containers = containersOf(definition);
  if (containers.length !== 1) {
    throw new InputError(
      INPUT.containerName,
      `required when the task definition has ${containers.length} containers (${listNames(containerNames(definition))})`,
    );
  }
  return containers[0];
}

/** Updates entries whose `key` matches in place and appends the rest, keeping order. */
function upsert(
  list: unknown,
  key: string,
  entries: Array<Record<string, unknown>>,
): Array<Record<string, unknown>> {
  const result = Array.isArray(list) ? [...(list as Array<Record<string, unknown>>)] : [];
  for (const entry of entries) {
    const index = result.findIndex((old) => isObject(old) && old[key] === entry[key]);
    if (index >= 0) result[index] = { ...result[index], ...entry };
    else result.push(entry);
  }
  return result;
}

function applyContainerSettings(container: ContainerDocument, spec: RenderSpec) {
  if (spec.environment.length > 0) {
    const entries = spec.environment.map(([name, value]) => ({ name, value }));
    container.environment = upsert(container.environment, 'name', entries);
  }
  if (spec.envFiles.length > 0) {
    const entries = spec.envFiles.map((value) => ({ value, type: 's3' }));
    container.environmentFiles = upsert(container.environmentFiles, 'value', entries);
  }
  if (spec.secrets.length > 0) {
    const entries = spec.secrets.map(([name, valueFrom]) => ({ name, valueFrom }));
    container.secrets = upsert(container.secrets, 'name', entries);
  }
  if (spec.dockerLabels.length > 0) {
    const labels = isObject(container.dockerLabels) ? { ...container.dockerLabels } : {};
    for (const [key, value] of spec.dockerLabels) labels[key] = value;
    container.dockerLabels = labels;
  }
  if (spec.command !== undefined) container.command = [...spec.command];
  if (spec.logConfiguration !== undefined) {
    container.logConfiguration = mergeLogConfiguration(
      container.logConfiguration,
      spec.logConfiguration,
    );
  }
}

/**
 * The same driver keeps its options and gains or changes the given ones (so setting only
 * `awslogs-stream-prefix` works); another driver starts from scratch.
 */
function mergeLogConfiguration(
  current: unknown,
  given: Record<string, unknown>,
): Record<string, unknown> {
  const existing = isObject(current) ? current : undefined;
  const driver = given.logDriver ?? existing?.logDriver;
  if (driver === undefined) {
    throw new InputError(
      INPUT.logConfiguration,
      'logDriver is required: the container has no log configuration to extend',
    );
  }
  if (!existing || existing.logDriver !== driver) return { logDriver: driver, ...given };
  const result: Record<string, unknown> = { ...existing, logDriver: driver };
  if (isObject(given.options)) {
    result.options = { ...(isObject(existing.options) ? existing.options : {}), ...given.options };
  }
  if (Array.isArray(given.secretOptions)) {
    result.secretOptions = upsert(
      existing.secretOptions,
      'name',
      given.secretOptions.filter(isObject),
    );
  }
  return result;
}

/** The final image of every named container: the `images` output. */
export function imagesOf(definition: TaskDefinitionDocument): Record<string, string> {
  const images: Record<string, string> = {};
  for (const container of containersOf(definition)) {
    if (typeof container.name === 'string' && typeof container.image === 'string') {
      images[container.name] = container.image;
    }
  }
  return images;
}
