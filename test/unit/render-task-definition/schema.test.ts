import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { ENUMS, SHAPES } from '../../../src/actions/render-task-definition/schema.ts';
import { suggest } from '../../../src/actions/render-task-definition/suggest.ts';
import { repoRoot } from '../../harness/index.ts';

// Re-derives the known-key table from the installed SDK's model declarations, so a new SDK (a new
// ContainerDefinition key, a new enum value) fails here instead of being refused as a typo.
const models = path.join(repoRoot, 'node_modules/@aws-sdk/client-ecs/dist-types/models');
const modelText = ['models_0.d.ts', 'models_1.d.ts']
  .map((f) => readFileSync(path.join(models, f), 'utf8'))
  .join('\n');
const enumText = readFileSync(path.join(models, 'enums.d.ts'), 'utf8');

function sdkShapes() {
  const interfaces: Record<string, Record<string, string>> = {};
  for (const m of modelText.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
    const fields: Record<string, string> = {};
    for (const f of m[2]!.matchAll(/^ {4}(\w+)\??: ([^;]+);/gm)) {
      fields[f[1]!] = f[2]!.replace(/ \| undefined$/, '');
    }
    interfaces[m[1]!] = fields;
  }
  for (const m of modelText.matchAll(/export declare namespace (\w+) \{([\s\S]*?)\n\}/g)) {
    const members: Record<string, string> = {};
    for (const f of m[2]!.matchAll(/interface \w+Member \{\s*(\w+): ([^;]+);/g)) {
      if (f[1] !== '$unknown') members[f[1]!] = f[2]!;
    }
    interfaces[m[1]!] = members;
  }
  const enums: Record<string, string[]> = {};
  for (const m of enumText.matchAll(/export declare const (\w+): \{([\s\S]*?)\};/g)) {
    enums[m[1]!] = [...m[2]!.matchAll(/: "([^"]+)"/g)].map((v) => v[1]!);
  }
  const shapes: Record<string, Record<string, unknown>> = {};
  const usedEnums: Record<string, string[]> = {};
  const visit = (name: string) => {
    if (shapes[name]) return;
    const shape: Record<string, unknown> = {};
    shapes[name] = shape;
    for (const [key, type] of Object.entries(interfaces[name]!)) {
      const list = type.endsWith('[]');
      const base = type.replace(/\[\]$/, '');
      if (interfaces[base]) {
        visit(base);
        shape[key] = list ? { listOf: base } : { shape: base };
      } else if (enums[base]) {
        usedEnums[base] = enums[base];
        shape[key] = list ? { enumList: base } : { enum: base };
      } else if (base === 'Record<string, string>') shape[key] = 'map';
      else shape[key] = type;
    }
  };
  visit('RegisterTaskDefinitionRequest');
  return { shapes, enums: usedEnums };
}

test('the known keys match the ECS API model of RegisterTaskDefinition', () => {
  const sdk = sdkShapes();
  expect(SHAPES).toEqual(sdk.shapes);
  expect(ENUMS).toEqual(sdk.enums);
});

test('the model reaches the shapes users write most', () => {
  expect(Object.keys(SHAPES)).toEqual(
    expect.arrayContaining([
      'ContainerDefinition',
      'PortMapping',
      'LogConfiguration',
      'HealthCheck',
      'Volume',
      'KeyValuePair',
      'Secret',
    ]),
  );
  expect(SHAPES.ContainerDefinition).toHaveProperty('portMappings', { listOf: 'PortMapping' });
});

test.each([
  ['portMapings', ['portMappings', 'mountPoints'], 'portMappings'],
  ['Image', ['image', 'name'], 'image'],
  ['efsVolumeConfig', ['efsVolumeConfiguration', 'host'], 'efsVolumeConfiguration'],
  ['retry', ['retries', 'interval'], 'retries'],
  ['replicas', ['cpu', 'memory', 'family'], undefined],
])('%s suggests %s', (word, candidates, expected) => {
  expect(suggest(word, candidates)).toBe(expected);
});
