import { readFileSync, statSync } from 'node:fs';
import type { RegisterTaskDefinitionRequest, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { isObject, parseDocumentText } from './documents.ts';
import { ActionError, InputError } from './errors.ts';
import { parseKeyValueLines } from './inputs.ts';

/** What DescribeTaskDefinition returns and RegisterTaskDefinition refuses. */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

export { isObject };

/** Family and container names. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]{1,255}$/;
export const NAME_RULE = 'up to 255 letters, digits, hyphens and underscores';
/** Environment variable and secret names. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_NAME_RULE = 'letters, digits and underscores, not starting with a digit';

/** An `environment-variables` input: KEY=VALUE lines whose keys are variable names. */
export function parseEnvironmentVariables(name: string, raw: string): Array<[string, string]> {
  return parseKeyValueLines(name, raw, { keyPattern: ENV_NAME, keyRule: ENV_NAME_RULE });
}

/**
 * ECS refuses a task definition larger than 64 KiB: the RegisterTaskDefinition request, the
 * definition as JSON. Checked before anything is sent, so a definition that cannot be registered
 * fails in one line instead of after the reads and the render.
 */
export const TASK_DEFINITION_LIMIT = 64 * 1024;

/**
 * A file this large holds no definition ECS would take, whatever its spacing and comments: it is
 * refused by its size, before a parser spends seconds on it.
 */
export const DEFINITION_FILE_LIMIT = 1024 * 1024;

function kib(bytes: number): string {
  return `${(bytes / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB (${bytes.toLocaleString('en-US')} bytes)`;
}

/** Refuses a task definition (or document) file too large to read; `shown` is its path as given. */
export function checkFileSize(input: string, file: string, shown: string): void {
  const { size } = statSync(file);
  if (size > DEFINITION_FILE_LIMIT) {
    throw new InputError(
      input,
      `${shown} is ${kib(size)}; ECS takes a task definition of at most ${kib(TASK_DEFINITION_LIMIT)}, so a file over ${kib(DEFINITION_FILE_LIMIT)} is not read`,
    );
  }
}

/** The size ECS counts: the definition as the JSON of the RegisterTaskDefinition request. */
export function definitionBytes(definition: unknown): number {
  return Buffer.byteLength(JSON.stringify(definition), 'utf8');
}

/** Refuses a task definition over ECS's limit, saying by how much and what usually helps. */
export function checkDefinitionSize(what: string, definition: unknown): void {
  const bytes = definitionBytes(definition);
  if (bytes <= TASK_DEFINITION_LIMIT) return;
  throw new ActionError(
    `${what} is ${kib(bytes)} as JSON, over ECS's limit of ${kib(TASK_DEFINITION_LIMIT)} per task definition: move large values to environment files (env-files) or secrets`,
  );
}

/** A copy of a task definition that RegisterTaskDefinition accepts again. */
export function stripReadOnly<T extends Record<string, unknown>>(definition: T): T {
  const copy = { ...definition };
  for (const field of READ_ONLY_FIELDS) delete copy[field];
  return copy;
}

export interface TaskDefinitionFile {
  request: RegisterTaskDefinitionRequest;
  file: string;
}

/**
 * Reads a rendered task definition. A file saved from `aws ecs describe-task-definition`
 * (`{"taskDefinition": {...}, "tags": [...]}`) is accepted too, and read-only fields are dropped
 * so that the same file can be registered again.
 */
export function readTaskDefinitionFile(input: string, file: string): TaskDefinitionFile {
  checkFileSize(input, file, file);
  const parsed = parseDocumentText(input, readFileSync(file, 'utf8'), file);
  if (!isObject(parsed)) throw new InputError(input, `${file}: must be a JSON/YAML object`);
  let body: Record<string, unknown> = parsed;
  let tags: unknown = parsed.tags;
  if (isObject(parsed.taskDefinition)) {
    body = parsed.taskDefinition;
    tags = parsed.tags ?? body.tags;
  }
  const request = stripReadOnly(body);
  if (typeof request.family !== 'string' || request.family === '') {
    throw new InputError(input, `${file}: has no family`);
  }
  const containers = request.containerDefinitions;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw new InputError(input, `${file}: has no containerDefinitions`);
  }
  containers.forEach((container, index) => {
    if (!isObject(container) || typeof container.name !== 'string' || container.name === '') {
      throw new InputError(input, `${file}: containerDefinitions[${index}] has no name`);
    }
  });
  if (Array.isArray(tags) && tags.length > 0) request.tags = tags as Tag[];
  else delete request.tags;
  checkDefinitionSize(`${input}: ${file}`, request);
  return { request: request as unknown as RegisterTaskDefinitionRequest, file };
}

/**
 * Values ECS fills in when it stores a task definition. A live definition that carries one of
 * these where the file says nothing is still the same definition.
 */
const STORED_DEFAULTS: Record<string, unknown> = {
  essential: true,
  protocol: 'tcp',
  cpu: 0,
};

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

function sameValue(wanted: unknown, live: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(live) &&
      wanted.length === live.length &&
      wanted.every((item, i) => sameValue(item, live[i]))
    );
  }
  if (isObject(wanted)) {
    if (!isObject(live)) return false;
    for (const [key, value] of Object.entries(wanted)) {
      if (isEmpty(value) && isEmpty(live[key])) continue;
      if (!sameValue(value, live[key])) return false;
    }
    for (const [key, value] of Object.entries(live)) {
      if (key in wanted) continue;
      if (isEmpty(value) || STORED_DEFAULTS[key] === value) continue;
      // With awsvpc networking ECS stores hostPort as a copy of containerPort.
      if (key === 'hostPort' && value === live.containerPort) continue;
      return false;
    }
    return true;
  }
  // ECS answers `cpu`/`memory` as strings at task level whatever the file used.
  if (typeof wanted === 'number' && typeof live === 'string') return String(wanted) === live;
  return wanted === live;
}

/**
 * Whether registering `wanted` would only produce a copy of the live revision. Registration
 * always creates a new revision, so this is what keeps a re-run from deploying a duplicate.
 */
export function sameTaskDefinition(
  wanted: RegisterTaskDefinitionRequest,
  live: TaskDefinition,
): boolean {
  const liveBody = stripReadOnly({ ...live } as Record<string, unknown>);
  const wantedBody: Record<string, unknown> = { ...wanted };
  delete wantedBody.tags;
  return sameValue(wantedBody, liveBody);
}

const TASK_DEFINITION_REF =
  /^(?:arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[A-Za-z0-9_-]{1,255}(?::\d+)?$/;

export function isTaskDefinitionRef(text: string): boolean {
  return TASK_DEFINITION_REF.test(text);
}

/** `family:revision` from an ARN, for log lines. */
export function shortTaskDefinition(arn: string | undefined): string {
  if (!arn) return '(none)';
  return arn.slice(arn.lastIndexOf('/') + 1);
}
