import { describe, expect, test } from 'vitest';
import { validateTaskDefinition } from '../../../src/actions/render-task-definition/validate.ts';

/** A definition that passes every check; each test breaks one thing. */
function valid(): Record<string, unknown> {
  return {
    family: 'web',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '512',
    memory: '1024',
    volumes: [{ name: 'cache' }],
    containerDefinitions: [
      {
        name: 'web',
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.0.0',
        portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'NODE_ENV', value: 'production' }],
        secrets: [
          { name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/db' },
        ],
        mountPoints: [{ sourceVolume: 'cache', containerPath: '/cache' }],
        dependsOn: [{ containerName: 'proxy', condition: 'START' }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': '/ecs/web',
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'web',
          },
        },
        healthCheck: { command: ['CMD', 'true'], interval: 10 },
        resourceRequirements: [{ type: 'GPU', sharingStrategy: { nvidiaMps: { memory: 1024 } } }],
      },
      { name: 'proxy', image: 'envoyproxy/envoy:v1.30.1', essential: false },
    ],
    tags: [{ key: 'team', value: 'payments' }],
  };
}

type Definition = ReturnType<typeof valid>;
type Container = Record<string, unknown>;
const web = (d: Definition) => (d.containerDefinitions as Container[])[0]!;

describe('task definition validation', () => {
  test('a complete Fargate definition has no problems', () => {
    expect(validateTaskDefinition(valid())).toEqual([]);
  });

  test.each<[string, (d: Definition) => void, string[]]>([
    [
      'a mistyped top-level key',
      (d) => {
        d.netwrokMode = 'awsvpc';
      },
      ["netwrokMode: unknown key (did you mean 'networkMode'?)"],
    ],
    [
      'a mistyped container key',
      (d) => {
        web(d).portMapings = [];
      },
      ["containerDefinitions[web].portMapings: unknown key (did you mean 'portMappings'?)"],
    ],
    [
      'a key in the wrong case',
      (d) => {
        web(d).Image = 'x';
      },
      ["containerDefinitions[web].Image: unknown key (did you mean 'image'?)"],
    ],
    [
      'an unknown key nothing resembles',
      (d) => {
        d.replicas = 3;
      },
      ['replicas: unknown key'],
    ],
    [
      'a typo deep inside a port mapping',
      (d) => {
        (web(d).portMappings as Container[])[0]!.containerPrt = 80;
      },
      [
        "containerDefinitions[web].portMappings[0].containerPrt: unknown key (did you mean 'containerPort'?)",
      ],
    ],
    [
      'a typo in a health check',
      (d) => {
        (web(d).healthCheck as Container).retry = 3;
      },
      ["containerDefinitions[web].healthCheck.retry: unknown key (did you mean 'retries'?)"],
    ],
    [
      'a typo in a volume',
      (d) => {
        (d.volumes as Container[])[0]!.efsVolumeConfig = {};
      },
      ["volumes[cache].efsVolumeConfig: unknown key (did you mean 'efsVolumeConfiguration'?)"],
    ],
    [
      'a typo in a log configuration',
      (d) => {
        (web(d).logConfiguration as Container).secretOption = [];
      },
      [
        "containerDefinitions[web].logConfiguration.secretOption: unknown key (did you mean 'secretOptions'?)",
      ],
    ],
    [
      'a typo in a GPU sharing strategy',
      (d) => {
        (web(d).resourceRequirements as Container[])[0]!.sharingStrategy = { nvidiaMPS: {} };
      },
      [
        "containerDefinitions[web].resourceRequirements[0].sharingStrategy.nvidiaMPS: unknown key (did you mean 'nvidiaMps'?)",
      ],
    ],
    [
      'a value of the wrong type',
      (d) => {
        web(d).essential = 'yes';
      },
      ['containerDefinitions[web].essential: expected a boolean, got string "yes"'],
    ],
    [
      'a list where an object belongs',
      (d) => {
        web(d).logConfiguration = [];
      },
      ['containerDefinitions[web].logConfiguration: expected an object, got a list'],
    ],
    [
      'an object where a list belongs',
      (d) => {
        web(d).environment = { NODE_ENV: 'production' };
      },
      ['containerDefinitions[web].environment: expected a list, got an object'],
    ],
    [
      'a command that is a string',
      (d) => {
        web(d).command = 'node server.js';
      },
      [
        'containerDefinitions[web].command: expected a list of strings, got string "node server.js"',
      ],
    ],
    [
      'docker labels that are not strings',
      (d) => {
        web(d).dockerLabels = { tier: { a: 1 } };
      },
      ['containerDefinitions[web].dockerLabels: expected an object of strings, got an object'],
    ],
    [
      'an unknown network mode',
      (d) => {
        d.networkMode = 'awsvcp';
      },
      [
        'networkMode: string "awsvcp" is not one of awsvpc, bridge, host, none (did you mean \'awsvpc\'?)',
        "networkMode: Fargate requires awsvpc, got 'awsvcp'",
      ],
    ],
    [
      'an unknown compatibility',
      (d) => {
        d.requiresCompatibilities = ['FARGATE', 'Lambda'];
      },
      [
        'requiresCompatibilities[1]: string "Lambda" is not one of EC2, EXTERNAL, FARGATE, MANAGED_INSTANCES',
      ],
    ],
    [
      'a missing family',
      (d) => {
        delete d.family;
      },
      ['family: missing'],
    ],
    [
      'an invalid family',
      (d) => {
        d.family = 'web/app';
      },
      [
        "family: 'web/app' is not a valid family name (up to 255 letters, digits, hyphens and underscores)",
      ],
    ],
    [
      'no containers',
      (d) => {
        d.containerDefinitions = [];
      },
      ['containerDefinitions: at least one container is required'],
    ],
    [
      'a container without a name',
      (d) => {
        delete web(d).name;
        (d.containerDefinitions as Container[])[1]!.dependsOn = undefined;
        delete (d.containerDefinitions as Container[])[1]!.dependsOn;
      },
      ['containerDefinitions[0]: missing name'],
    ],
    [
      'duplicate container names',
      (d) => {
        (d.containerDefinitions as Container[])[1]!.name = 'web';
      },
      [
        "containerDefinitions: duplicate container name 'web' (2 times)",
        "containerDefinitions[web].dependsOn[0].containerName: no container named 'proxy'",
      ],
    ],
    [
      'a container without an image',
      (d) => {
        delete (d.containerDefinitions as Container[])[1]!.image;
      },
      ['containerDefinitions[proxy].image: missing'],
    ],
    [
      'an image that is not a reference',
      (d) => {
        web(d).image = 'ACME/Web:latest';
      },
      [
        "containerDefinitions[web].image: 'ACME/Web:latest' is not a valid image reference: invalid repository name 'ACME/Web' (lowercase letters, digits, . _ - and /)",
      ],
    ],
    [
      'an invalid environment variable name',
      (d) => {
        web(d).environment = [{ name: 'NODE-ENV', value: 'x' }];
      },
      [
        "containerDefinitions[web].environment[0]: 'NODE-ENV' is not a valid variable name (letters, digits and underscores, not starting with a digit)",
      ],
    ],
    [
      'a variable set twice',
      (d) => {
        web(d).environment = [
          { name: 'A', value: '1' },
          { name: 'A', value: '2' },
        ];
      },
      ["containerDefinitions[web].environment: 'A' is set twice"],
    ],
    [
      'a secret without valueFrom',
      (d) => {
        web(d).secrets = [{ name: 'DB_PASSWORD' }];
      },
      ['containerDefinitions[web].secrets[DB_PASSWORD]: missing valueFrom'],
    ],
    [
      'a dependency on a container that does not exist',
      (d) => {
        web(d).dependsOn = [{ containerName: 'proxxy', condition: 'START' }];
      },
      [
        "containerDefinitions[web].dependsOn[0].containerName: no container named 'proxxy' (did you mean 'proxy'?)",
      ],
    ],
    [
      'a mount of a volume that does not exist',
      (d) => {
        web(d).mountPoints = [{ sourceVolume: 'data', containerPath: '/data' }];
      },
      ["containerDefinitions[web].mountPoints[0].sourceVolume: no volume named 'data'"],
    ],
    [
      'volumes from a container that does not exist',
      (d) => {
        web(d).volumesFrom = [{ sourceContainer: 'init' }];
      },
      ["containerDefinitions[web].volumesFrom[0].sourceContainer: no container named 'init'"],
    ],
    [
      'a host port that differs from the container port under awsvpc',
      (d) => {
        web(d).portMappings = [{ containerPort: 8080, hostPort: 80 }];
      },
      [
        'containerDefinitions[web].portMappings[0].hostPort: with networkMode awsvpc it must equal containerPort (8080), got 80',
      ],
    ],
    [
      'Fargate without awsvpc',
      (d) => {
        d.networkMode = 'bridge';
      },
      ["networkMode: Fargate requires awsvpc, got 'bridge'"],
    ],
    [
      'Fargate with no network mode',
      (d) => {
        delete d.networkMode;
      },
      ['networkMode: Fargate requires awsvpc, got none'],
    ],
    [
      'Fargate without cpu and memory',
      (d) => {
        delete d.cpu;
        delete d.memory;
      },
      ['cpu: Fargate requires a task-level cpu', 'memory: Fargate requires a task-level memory'],
    ],
    [
      'a cpu/memory pair Fargate does not offer',
      (d) => {
        d.cpu = '256';
        d.memory = '4096';
      },
      ['cpu/memory: memory 4096 does not fit cpu 256 on Fargate (use 512, 1024, 2048 MiB)'],
    ],
    [
      'a cpu that is not an amount',
      (d) => {
        d.cpu = 'two';
      },
      ["cpu: 'two' is not a CPU amount (use CPU units like 1024 or '1 vCPU')"],
    ],
    [
      'a memory that is not an amount',
      (d) => {
        d.memory = 'a lot';
      },
      ["memory: 'a lot' is not a memory amount (use MiB like 2048 or '2 GB')"],
    ],
    [
      'a log driver Fargate does not support',
      (d) => {
        web(d).logConfiguration = { logDriver: 'json-file' };
      },
      [
        "containerDefinitions[web].logConfiguration.logDriver: Fargate supports awslogs, splunk, awsfirelens, not 'json-file'",
      ],
    ],
    [
      'awslogs without its required options',
      (d) => {
        web(d).logConfiguration = {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/ecs/web' },
        };
      },
      [
        'containerDefinitions[web].logConfiguration.options: the awslogs driver needs awslogs-region, awslogs-stream-prefix',
      ],
    ],
  ])('%s is reported', (_, breakIt, problems) => {
    const definition = valid();
    breakIt(definition);
    expect(validateTaskDefinition(definition)).toEqual(problems);
  });

  test('every problem is reported at once, not just the first', () => {
    const definition = valid();
    definition.networkMode = 'bridge';
    web(definition).portMapings = [];
    web(definition).image = 'Bad Image';
    expect(validateTaskDefinition(definition)).toHaveLength(3);
  });

  test('outside Fargate, host ports, log drivers and sizes are not held to Fargate rules', () => {
    const definition = valid();
    definition.requiresCompatibilities = ['EC2'];
    definition.networkMode = 'bridge';
    definition.cpu = '3000';
    web(definition).portMappings = [{ containerPort: 8080, hostPort: 0 }];
    web(definition).logConfiguration = { logDriver: 'json-file' };
    expect(validateTaskDefinition(definition)).toEqual([]);
  });
});
