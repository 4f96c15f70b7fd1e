import { readFileSync } from 'node:fs';
import { type AwsOptions, readAwsOptions } from '../../lib/aws.ts';
import { parseCommand } from '../../lib/command.ts';
import { parseDocumentText, parseObjectInput } from '../../lib/documents.ts';
import { InputError } from '../../lib/errors.ts';
import { isImageRef, parseImageRef } from '../../lib/image-ref.ts';
import {
  actionInputs,
  exactlyOne,
  type InputSource,
  optional,
  parseBoolean,
  parseKeyValueLines,
  parseLines,
  resolveFile,
  workspaceDir,
} from '../../lib/inputs.ts';
import {
  checkDefinitionSize,
  checkFileSize,
  ENV_NAME,
  ENV_NAME_RULE,
  NAME_PATTERN,
  NAME_RULE,
  parseEnvironmentVariables,
} from '../../lib/task-definition.ts';
import { isObject, normalizeScalars, type TaskDefinitionDocument } from './document.ts';
import { INPUT } from './names.ts';
import type { RenderSpec } from './render.ts';
import { CPU_HINT, MEMORY_HINT, parseCpuUnits, parseMemoryMiB } from './sizes.ts';
import { checkShape } from './validate.ts';

export type DefinitionSource =
  | { kind: 'file'; path: string; definition: TaskDefinitionDocument }
  | { kind: 'family'; reference: string };

export interface RenderInputs extends RenderSpec {
  source: DefinitionSource;
  pinImageDigest: boolean;
  /** Show environment values, labels, commands and log options in the summary's diff. */
  showValues: boolean;
  aws: AwsOptions;
}

const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}(?::\d+)?$/;
const FAMILY_REVISION = /^[A-Za-z0-9_-]{1,255}(?::[1-9]\d*)?$/;
const S3_ENV_FILE = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+\.env$/;
const SSM_PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/.+$/;
const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;
const PARAMETER_NAME = /^[A-Za-z0-9_.\-/]+$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** Reads every input, checks each on its own, and reads the task definition file if one is given. */
export function getInputs(
  source: InputSource = actionInputs,
  workspace = workspaceDir(),
): RenderInputs {
  const aws = readAwsOptions(source);
  const file = source(INPUT.taskDefinition);
  const family = source(INPUT.taskDefinitionFamily);
  const which = exactlyOne({ [INPUT.taskDefinition]: file, [INPUT.taskDefinitionFamily]: family });
  const definitionSource: DefinitionSource =
    which === INPUT.taskDefinition
      ? { kind: 'file', path: file, definition: readDefinitionFile(file, workspace) }
      : { kind: 'family', reference: parseFamilyReference(family) };

  const containerName = optional(source(INPUT.containerName));
  const image = optional(source(INPUT.image));
  if (image !== undefined) checkImage(INPUT.image, image);
  const images = parseKeyValueLines(INPUT.images, source(INPUT.images), {
    keyPattern: NAME_PATTERN,
    keyRule: `container names are ${NAME_RULE}`,
    allowEmptyValue: false,
  });
  for (const [container, ref] of images) {
    checkImage(INPUT.images, ref, container);
    if (image !== undefined && containerName === container) {
      throw new InputError(
        `${INPUT.image}, ${INPUT.images}`,
        `both set the image of container '${container}': give it once`,
      );
    }
  }

  const cpuText = optional(source(INPUT.cpu));
  const memoryText = optional(source(INPUT.memory));
  const logText = source(INPUT.logConfiguration);
  const mergeText = source(INPUT.merge);
  const commandText = source(INPUT.command);
  const familyName = optional(source(INPUT.family));
  if (familyName !== undefined && !NAME_PATTERN.test(familyName)) {
    throw new InputError(INPUT.family, `'${familyName}' is not a valid family name (${NAME_RULE})`);
  }

  const inputs: RenderInputs = {
    source: definitionSource,
    images,
    environment: parseEnvironmentVariables(
      INPUT.environmentVariables,
      source(INPUT.environmentVariables),
    ),
    envFiles: parseEnvFiles(source(INPUT.envFiles)),
    secrets: parseSecrets(source(INPUT.secrets)),
    dockerLabels: parseKeyValueLines(INPUT.dockerLabels, source(INPUT.dockerLabels)),
    pinImageDigest: parseBoolean(INPUT.pinImageDigest, source(INPUT.pinImageDigest), false),
    showValues: parseBoolean(INPUT.showValues, source(INPUT.showValues), false),
    aws,
  };
  if (containerName !== undefined) inputs.containerName = containerName;
  if (image !== undefined) inputs.image = image;
  if (logText !== '') inputs.logConfiguration = parseLogConfiguration(logText, workspace);
  if (commandText !== '') inputs.command = parseCommand(INPUT.command, commandText);
  if (cpuText !== undefined) inputs.cpu = parseSize(INPUT.cpu, cpuText, parseCpuUnits, CPU_HINT);
  if (memoryText !== undefined) {
    inputs.memory = parseSize(INPUT.memory, memoryText, parseMemoryMiB, MEMORY_HINT);
  }
  if (familyName !== undefined) inputs.family = familyName;
  const taskRole = optional(source(INPUT.taskRoleArn));
  if (taskRole !== undefined) inputs.taskRoleArn = parseRole(INPUT.taskRoleArn, taskRole, true);
  const executionRole = optional(source(INPUT.executionRoleArn));
  if (executionRole !== undefined) {
    inputs.executionRoleArn = parseRole(INPUT.executionRoleArn, executionRole, false);
  }
  if (mergeText !== '') inputs.merge = parseObjectInput(INPUT.merge, mergeText, workspace);
  // What the inputs add can alone be over ECS's limit: say so before a live definition is read.
  checkDefinitionSize('what environment-variables, secrets, docker-labels and merge add', {
    environment: inputs.environment,
    secrets: inputs.secrets,
    dockerLabels: inputs.dockerLabels,
    merge: inputs.merge,
  });
  return inputs;
}

function readDefinitionFile(file: string, workspace: string): TaskDefinitionDocument {
  const resolved = resolveFile(INPUT.taskDefinition, file, workspace);
  checkFileSize(INPUT.taskDefinition, resolved, file);
  const value = parseDocumentText(INPUT.taskDefinition, readFileSync(resolved, 'utf8'), file);
  if (!isObject(value)) {
    throw new InputError(
      INPUT.taskDefinition,
      `${file}: must be a JSON/YAML mapping (an object with keys)`,
    );
  }
  const definition = unwrapDescribeOutput(value);
  checkDefinitionSize(`${INPUT.taskDefinition}: ${file}`, definition);
  return definition;
}

/**
 * `aws ecs describe-task-definition --include TAGS > td.json` writes
 * `{ taskDefinition: {...}, tags: [...] }`; such a file is read as the definition it holds.
 */
export function unwrapDescribeOutput(value: Record<string, unknown>): TaskDefinitionDocument {
  const keys = Object.keys(value);
  const inner = value.taskDefinition;
  if (!isObject(inner) || keys.some((k) => k !== 'taskDefinition' && k !== 'tags')) return value;
  const tags = value.tags;
  return Array.isArray(tags) && tags.length > 0 ? { ...inner, tags } : { ...inner };
}

function parseFamilyReference(raw: string): string {
  if (FAMILY_REVISION.test(raw) || TASK_DEFINITION_ARN.test(raw)) return raw;
  throw new InputError(
    INPUT.taskDefinitionFamily,
    `'${raw}' is not a family, family:revision or task definition ARN`,
  );
}

function checkImage(name: string, image: string, container?: string) {
  const ref = parseImageRef(image);
  if (!isImageRef(ref)) {
    const which = container ? `container '${container}': ` : '';
    throw new InputError(name, `${which}'${image}' is not a valid image reference: ${ref.error}`);
  }
}

function parseEnvFiles(raw: string): string[] {
  const files = parseLines(raw);
  for (const file of files) {
    if (!S3_ENV_FILE.test(file)) {
      throw new InputError(
        INPUT.envFiles,
        `'${file}' is not the ARN of an S3 object ending in .env (arn:aws:s3:::bucket/path/app.env)`,
      );
    }
  }
  return files;
}

function parseSecrets(raw: string): Array<[string, string]> {
  const pairs = parseKeyValueLines(INPUT.secrets, raw, {
    keyPattern: ENV_NAME,
    keyRule: ENV_NAME_RULE,
    allowEmptyValue: false,
  });
  const lines = raw.split(/\r?\n/);
  for (const [name, valueFrom] of pairs) {
    const valid = valueFrom.startsWith('arn:')
      ? SSM_PARAMETER_ARN.test(valueFrom) || SECRETS_MANAGER_ARN.test(valueFrom)
      : PARAMETER_NAME.test(valueFrom);
    if (!valid) {
      // The value is left out: a secret's value pasted here instead of its ARN is the usual mistake.
      const line = lines.findIndex((l) => l.split('=')[0]!.trim() === name) + 1;
      throw new InputError(
        INPUT.secrets,
        `line ${line}: the value of '${name}' is not an SSM parameter ARN, a Secrets Manager secret ARN or a parameter name`,
      );
    }
  }
  return pairs;
}

function parseLogConfiguration(raw: string, workspace: string): Record<string, unknown> {
  const value = normalizeScalars(
    parseObjectInput(INPUT.logConfiguration, raw, workspace),
    'LogConfiguration',
  );
  const problems: string[] = [];
  checkShape(value, 'LogConfiguration', '', problems);
  if (problems.length > 0) throw new InputError(INPUT.logConfiguration, problems.join('; '));
  return value as Record<string, unknown>;
}

function parseSize(
  name: string,
  raw: string,
  parse: (text: string) => number | undefined,
  hint: string,
): number {
  const value = parse(raw);
  if (value === undefined || value === 0) {
    throw new InputError(name, `'${raw}' is not an amount (use ${hint})`);
  }
  return value;
}

function parseRole(name: string, raw: string, allowName: boolean): string {
  if (ROLE_ARN.test(raw) || (allowName && ROLE_NAME.test(raw))) return raw;
  const expected = allowName ? 'an IAM role ARN or role name' : 'an IAM role ARN';
  throw new InputError(name, `'${raw}' is not ${expected} (arn:aws:iam::123456789012:role/name)`);
}
