import { isObject } from '../../lib/task-definition.ts';
import { type FieldSpec, fieldsOf, type ShapeName } from './schema.ts';

/** A task definition as JSON: RegisterTaskDefinition's input, before any checking. */
export type TaskDefinitionDocument = Record<string, unknown>;
export type ContainerDocument = Record<string, unknown>;

export { isObject, READ_ONLY_FIELDS, stripReadOnly } from '../../lib/task-definition.ts';

/** The container list when it is one; anything else is left to validation to describe. */
export function containersOf(definition: TaskDefinitionDocument): ContainerDocument[] {
  const list = definition.containerDefinitions;
  return Array.isArray(list) ? list.filter(isObject) : [];
}

export function containerNames(definition: TaskDefinitionDocument): string[] {
  return containersOf(definition)
    .map((c) => c.name)
    .filter((n): n is string => typeof n === 'string');
}

/** `containerDefinitions[web]` when the container has a name, else its position. */
export function containerLabel(container: unknown, index: number): string {
  const name = isObject(container) ? container.name : undefined;
  return `containerDefinitions[${typeof name === 'string' && name !== '' ? name : index}]`;
}

/**
 * YAML makes `PORT: 8080` a number and `cpu: 256` an integer where ECS wants strings; the
 * author meant the text. Scalars are turned into strings wherever the API expects a string,
 * and nulls are dropped (ECS treats an absent key and null alike). Unknown keys are kept as they
 * are so validation can name them.
 */
export function normalizeScalars(value: unknown, shape: ShapeName): unknown {
  if (!isObject(value)) return value;
  const fields = fieldsOf(shape);
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue;
    const spec = fields[key];
    result[key] = spec ? normalizeField(item, spec) : item;
  }
  return result;
}

function toText(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function normalizeField(value: unknown, spec: FieldSpec): unknown {
  if (spec === 'string') return toText(value);
  if (spec === 'string[]') return Array.isArray(value) ? value.map(toText) : value;
  if (spec === 'map') {
    if (!isObject(value)) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, toText(v)]),
    );
  }
  if (typeof spec === 'string') return value;
  if ('shape' in spec) return normalizeScalars(value, spec.shape);
  if ('listOf' in spec) {
    return Array.isArray(value) ? value.map((v) => normalizeScalars(v, spec.listOf)) : value;
  }
  return value;
}
