import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { loadScenario } from './scenario.ts';

test('scenario files may share service settings through YAML merge keys', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scenario-test-'));
  const file = path.join(dir, 'merge.yaml');
  writeFileSync(
    file,
    [
      'region: us-east-1',
      'ecs:',
      '  taskDefinitions:',
      '    - family: web',
      '      containerDefinitions: [{ name: web, image: web:v1 }]',
      '  clusters:',
      '    - name: prod',
      '      services:',
      '        - &base { name: web, taskDefinition: web, desiredCount: 2 }',
      '        - <<: *base',
      '          name: web-canary',
      '',
    ].join('\n'),
  );
  const scenario = loadScenario(file);
  const services = scenario.ecs?.clusters?.[0]?.services ?? [];
  expect(services.map((s) => [s.name, s.taskDefinition, s.desiredCount])).toEqual([
    ['web', 'web', 2],
    ['web-canary', 'web', 2],
  ]);
});
