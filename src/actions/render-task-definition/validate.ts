import { isImageRef, parseImageRef } from '../../lib/image-ref.ts';
import { ENV_NAME, ENV_NAME_RULE, NAME_PATTERN, NAME_RULE } from '../../lib/task-definition.ts';
import { containerLabel, containersOf, isObject, type TaskDefinitionDocument } from './document.ts';
import { type EnumName, enumValues, type FieldSpec, fieldsOf, type ShapeName } from './schema.ts';
import {
  CPU_HINT,
  fargateSizeProblem,
  MEMORY_HINT,
  parseCpuUnits,
  parseMemoryMiB,
} from './sizes.ts';
import { didYouMean } from './suggest.ts';

const FARGATE_LOG_DRIVERS = ['awslogs', 'splunk', 'awsfirelens'];

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  const json = JSON.stringify(value);
  return `${typeof value} ${json.length > 60 ? `${json.slice(0, 59)}…` : json}`;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** List items are named by their `name` (containers, variables, volumes) or `key` (tags). */
function itemLabel(item: unknown, index: number): string {
  if (isObject(item)) {
    for (const field of ['name', 'key']) {
      const value = item[field];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return String(index);
}

/**
 * Checks `value` against an API shape: unknown keys (with the nearest known key), wrong types
 * and enum values. Every problem is appended to `problems`, each naming its path.
 */
export function checkShape(value: unknown, shape: ShapeName, path: string, problems: string[]) {
  if (!isObject(value)) {
    problems.push(`${path || 'task definition'}: expected an object, got ${describeType(value)}`);
    return;
  }
  const fields = fieldsOf(shape);
  for (const [key, item] of Object.entries(value)) {
    const spec = fields[key];
    const at = join(path, key);
    if (!spec) {
      problems.push(`${at}: unknown key${didYouMean(key, Object.keys(fields))}`);
      continue;
    }
    checkField(item, spec, at, problems);
  }
}

function checkEnum(value: unknown, name: EnumName, path: string, problems: string[]) {
  const allowed = enumValues(name);
  if (typeof value === 'string' && allowed.includes(value)) return;
  const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
  problems.push(`${path}: ${describeType(value)} is not one of ${allowed.join(', ')}${hint}`);
}

function checkField(value: unknown, spec: FieldSpec, path: string, problems: string[]) {
  const expect = (what: string) =>
    problems.push(`${path}: expected ${what}, got ${describeType(value)}`);
  if (spec === 'string' || spec === 'number' || spec === 'boolean') {
    if (typeof value !== spec) expect(spec === 'string' ? 'a string' : `a ${spec}`);
    return;
  }
  if (spec === 'string[]' || spec === 'number[]') {
    const itemType = spec.slice(0, -2);
    if (!Array.isArray(value) || value.some((v) => typeof v !== itemType)) {
      expect(`a list of ${itemType}s`);
    }
    return;
  }
  if (spec === 'map') {
    if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      expect('an object of strings');
    }
    return;
  }
  if ('enum' in spec) {
    checkEnum(value, spec.enum, path, problems);
    return;
  }
  if ('enumList' in spec) {
    if (!Array.isArray(value)) expect('a list');
    else {
      value.forEach((v, i) => {
        checkEnum(v, spec.enumList, `${path}[${i}]`, problems);
      });
    }
    return;
  }
  if ('shape' in spec) {
    checkShape(value, spec.shape, path, problems);
    return;
  }
  if (!Array.isArray(value)) {
    expect('a list');
    return;
  }
  value.forEach((item, i) => {
    checkShape(item, spec.listOf, `${path}[${itemLabel(item, i)}]`, problems);
  });
}

/**
 * Everything wrong with a task definition that RegisterTaskDefinition (or the first task start)
 * would refuse, found without calling AWS. Returns every problem, each as `<path>: <problem>`.
 */
export function validateTaskDefinition(definition: TaskDefinitionDocument): string[] {
  const problems: string[] = [];
  checkShape(definition, 'RegisterTaskDefinitionRequest', '', problems);
  checkFamily(definition, problems);
  checkContainers(definition, problems);
  checkSizes(definition, problems);
  return problems;
}

function checkFamily(definition: TaskDefinitionDocument, problems: string[]) {
  const family = definition.family;
  if (family === undefined || family === '') problems.push('family: missing');
  else if (typeof family === 'string' && !NAME_PATTERN.test(family)) {
    problems.push(`family: '${family}' is not a valid family name (${NAME_RULE})`);
  }
}

function isFargate(definition: TaskDefinitionDocument): boolean {
  const compat = definition.requiresCompatibilities;
  return Array.isArray(compat) && compat.includes('FARGATE');
}

function checkContainers(definition: TaskDefinitionDocument, problems: string[]) {
  const list = definition.containerDefinitions;
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    problems.push('containerDefinitions: at least one container is required');
    return;
  }
  if (!Array.isArray(list)) return;
  const names = new Map<string, number>();
  const volumes = new Set(
    (Array.isArray(definition.volumes) ? definition.volumes : [])
      .map((v) => (isObject(v) ? v.name : undefined))
      .filter((n): n is string => typeof n === 'string'),
  );
  for (const container of containersOf(definition)) {
    if (typeof container.name === 'string') {
      names.set(container.name, (names.get(container.name) ?? 0) + 1);
    }
  }
  for (const [name, count] of names) {
    if (count > 1)
      problems.push(`containerDefinitions: duplicate container name '${name}' (${count} times)`);
  }
  const awsvpc = definition.networkMode === 'awsvpc';
  const fargate = isFargate(definition);
  list.forEach((container, index) => {
    if (!isObject(container)) return;
    const at = containerLabel(container, index);
    const { name, image } = container;
    if (name === undefined || name === '') problems.push(`${at}: missing name`);
    else if (typeof name === 'string' && !NAME_PATTERN.test(name)) {
      problems.push(`${at}.name: '${name}' is not a valid container name (${NAME_RULE})`);
    }
    if (image === undefined || image === '') problems.push(`${at}.image: missing`);
    else if (typeof image === 'string') {
      const ref = parseImageRef(image);
      if (!isImageRef(ref)) {
        problems.push(`${at}.image: '${image}' is not a valid image reference: ${ref.error}`);
      }
    }
    checkVariables(container.environment, `${at}.environment`, 'value', problems);
    checkVariables(container.secrets, `${at}.secrets`, 'valueFrom', problems);
    checkReferences(container, at, new Set(names.keys()), volumes, problems);
    if (awsvpc) checkAwsvpcPorts(container, at, problems);
    checkLogConfiguration(container.logConfiguration, `${at}.logConfiguration`, fargate, problems);
  });
}

function checkVariables(list: unknown, at: string, valueKey: string, problems: string[]) {
  if (!Array.isArray(list)) return;
  const seen = new Set<string>();
  list.forEach((entry, i) => {
    if (!isObject(entry)) return;
    const { name } = entry;
    if (typeof name !== 'string') {
      problems.push(`${at}[${i}]: missing name`);
      return;
    }
    if (!ENV_NAME.test(name)) {
      problems.push(`${at}[${i}]: '${name}' is not a valid variable name (${ENV_NAME_RULE})`);
    }
    if (seen.has(name)) problems.push(`${at}: '${name}' is set twice`);
    seen.add(name);
    if (entry[valueKey] === undefined) problems.push(`${at}[${name}]: missing ${valueKey}`);
  });
}

function checkReferences(
  container: Record<string, unknown>,
  at: string,
  containers: ReadonlySet<string>,
  volumes: ReadonlySet<string>,
  problems: string[],
) {
  const each = (key: string, field: string, known: ReadonlySet<string>, what: string) => {
    const list = container[key];
    if (!Array.isArray(list)) return;
    list.forEach((entry, i) => {
      const value = isObject(entry) ? entry[field] : undefined;
      if (typeof value === 'string' && !known.has(value)) {
        problems.push(
          `${at}.${key}[${i}].${field}: no ${what} named '${value}'${didYouMean(value, known)}`,
        );
      }
    });
  };
  each('dependsOn', 'containerName', containers, 'container');
  each('volumesFrom', 'sourceContainer', containers, 'container');
  each('mountPoints', 'sourceVolume', volumes, 'volume');
}

function checkAwsvpcPorts(container: Record<string, unknown>, at: string, problems: string[]) {
  const mappings = container.portMappings;
  if (!Array.isArray(mappings)) return;
  mappings.forEach((mapping, i) => {
    if (!isObject(mapping)) return;
    const { containerPort, hostPort } = mapping;
    if (
      typeof hostPort === 'number' &&
      typeof containerPort === 'number' &&
      hostPort !== containerPort
    ) {
      problems.push(
        `${at}.portMappings[${i}].hostPort: with networkMode awsvpc it must equal containerPort (${containerPort}), got ${hostPort}`,
      );
    }
  });
}

function checkLogConfiguration(config: unknown, at: string, fargate: boolean, problems: string[]) {
  if (!isObject(config) || typeof config.logDriver !== 'string') return;
  const driver = config.logDriver;
  if (fargate && !FARGATE_LOG_DRIVERS.includes(driver)) {
    problems.push(
      `${at}.logDriver: Fargate supports ${FARGATE_LOG_DRIVERS.join(', ')}, not '${driver}'`,
    );
  }
  if (driver !== 'awslogs') return;
  const options = isObject(config.options) ? config.options : {};
  const needed = ['awslogs-group', 'awslogs-region', ...(fargate ? ['awslogs-stream-prefix'] : [])];
  const missing = needed.filter((key) => options[key] === undefined || options[key] === '');
  if (missing.length > 0) {
    problems.push(`${at}.options: the awslogs driver needs ${missing.join(', ')}`);
  }
}

function checkSizes(definition: TaskDefinitionDocument, problems: string[]) {
  const { cpu, memory } = definition;
  const cpuUnits = typeof cpu === 'string' ? parseCpuUnits(cpu) : undefined;
  const memoryMiB = typeof memory === 'string' ? parseMemoryMiB(memory) : undefined;
  if (typeof cpu === 'string' && cpuUnits === undefined) {
    problems.push(`cpu: '${cpu}' is not a CPU amount (use ${CPU_HINT})`);
  }
  if (typeof memory === 'string' && memoryMiB === undefined) {
    problems.push(`memory: '${memory}' is not a memory amount (use ${MEMORY_HINT})`);
  }
  if (!isFargate(definition)) return;
  if (definition.networkMode !== 'awsvpc') {
    const got = typeof definition.networkMode === 'string' ? `'${definition.networkMode}'` : 'none';
    problems.push(`networkMode: Fargate requires awsvpc, got ${got}`);
  }
  if (cpu === undefined) problems.push('cpu: Fargate requires a task-level cpu');
  if (memory === undefined) problems.push('memory: Fargate requires a task-level memory');
  if (cpuUnits !== undefined && memoryMiB !== undefined) {
    const problem = fargateSizeProblem(cpuUnits, memoryMiB);
    if (problem) problems.push(`cpu/memory: ${problem}`);
  }
}
