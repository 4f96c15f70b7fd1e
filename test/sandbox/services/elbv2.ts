// Simulated Elastic Load Balancing v2: the target groups that the scenario's ECS services and
// CodeDeploy deployment groups name, with their health checks and attributes. ELBv2 speaks the
// AWS query protocol: a form-encoded POST (`Action=DescribeTargetGroups&Version=2015-12-01`)
// answered in XML, errors as `<ErrorResponse>`. The server routes by `Version` and wraps what a
// handler returns in `<{Action}Response><{Action}Result>`.

import { createHash } from 'node:crypto';
import { type AccountContext, AwsError, type QueryServiceModule } from '../types.ts';
import type { CodeDeployScenario } from './codedeploy.ts';
import type { EcsScenario } from './ecs.ts';

export const ELBV2_VERSION = '2015-12-01';
export const ELBV2_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

export interface TargetGroupHealthCheck {
  protocol?: string;
  port?: string;
  path?: string;
  intervalSeconds?: number;
  timeoutSeconds?: number;
  healthyThresholdCount?: number;
  unhealthyThresholdCount?: number;
  matcher?: string;
}

export interface TargetGroupScenario {
  /** The group's name; with `arn`, it must be the name the ARN carries. */
  name?: string;
  arn?: string;
  protocol?: string;
  port?: number;
  vpcId?: string;
  targetType?: 'ip' | 'instance' | 'lambda' | 'alb';
  loadBalancerArns?: string[];
  healthCheck?: TargetGroupHealthCheck;
  /** Attribute overrides, e.g. `deregistration_delay.timeout_seconds: 30`. */
  attributes?: Record<string, string | number | boolean>;
}

export interface Elbv2Scenario {
  /**
   * Settings for target groups. Every group an ECS service's load balancer or a CodeDeploy
   * target group pair names exists without being listed here, with ELBv2's defaults.
   */
  targetGroups?: TargetGroupScenario[];
}

export interface TargetGroupRecord {
  arn: string;
  name: string;
  protocol: string;
  port: number;
  vpcId: string;
  targetType: string;
  loadBalancerArns: string[];
  healthCheck: Required<TargetGroupHealthCheck>;
  /** In the order DescribeTargetGroupAttributes lists them. */
  attributes: Map<string, string>;
}

export interface Elbv2Module extends QueryServiceModule {
  readonly name: 'elbv2';
  readonly targetGroups: readonly TargetGroupRecord[];
  /** By ARN or name: what the other simulators read to time health checks and drains. */
  targetGroup(arnOrName: string): TargetGroupRecord | undefined;
}

/** A new ALB target group's defaults (CreateTargetGroup without the optional parameters). */
const DEFAULT_HEALTH_CHECK: Required<TargetGroupHealthCheck> = {
  protocol: 'HTTP',
  port: 'traffic-port',
  path: '/',
  intervalSeconds: 30,
  timeoutSeconds: 5,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
  matcher: '200',
};

/** DescribeTargetGroupAttributes of a new ALB target group of type `ip`. */
const DEFAULT_ATTRIBUTES: ReadonlyArray<[string, string]> = [
  ['stickiness.enabled', 'false'],
  ['deregistration_delay.timeout_seconds', '300'],
  ['stickiness.type', 'lb_cookie'],
  ['stickiness.lb_cookie.duration_seconds', '86400'],
  ['slow_start.duration_seconds', '0'],
  ['stickiness.app_cookie.cookie_name', ''],
  ['stickiness.app_cookie.duration_seconds', '86400'],
  ['load_balancing.algorithm.type', 'round_robin'],
  ['load_balancing.algorithm.anomaly_mitigation', 'off'],
  ['load_balancing.cross_zone.enabled', 'use_load_balancer_configuration'],
  ['target_group_health.dns_failover.minimum_healthy_targets.count', '1'],
  ['target_group_health.dns_failover.minimum_healthy_targets.percentage', 'off'],
  ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.count', '1'],
  ['target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage', 'off'],
];

const TARGET_GROUP_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/([A-Za-z0-9-]{1,32})\/[0-9a-f]{16}$/;
const PAGE_SIZE_MAX = 400;

function hex(text: string, n: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

function validationError(message: string): AwsError {
  return new AwsError('ValidationError', message);
}

function notFound(): AwsError {
  return new AwsError('TargetGroupNotFound', 'One or more target groups not found');
}

/** Text safe inside an XML element. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function el(tag: string, value: string | number | boolean): string {
  return `<${tag}>${escapeXml(String(value))}</${tag}>`;
}

function members(tag: string, items: readonly string[]): string {
  return `<${tag}>${items.map((item) => `<member>${item}</member>`).join('')}</${tag}>`;
}

/** `Names.member.1`, `Names.member.2`, … as the query protocol sends a list. */
function queryList(params: URLSearchParams, name: string): string[] | undefined {
  const prefix = `${name}.member.`;
  const entries = [...params.keys()].filter((k) => k.startsWith(prefix));
  if (entries.length === 0) {
    // An empty list is sent as the bare name with no value.
    return params.has(name) ? [] : undefined;
  }
  return entries
    .map((k) => ({ index: Number(k.slice(prefix.length)), value: params.get(k)! }))
    .sort((a, b) => a.index - b.index)
    .map((e) => e.value);
}

interface Reference {
  name: string;
  arn?: string;
  port?: number;
  loadBalancerArn?: string;
  /** The other group of a CodeDeploy pair: both serve the same container port. */
  sibling?: string;
}

/** Target groups the scenario's services and deployment groups name, in scenario order. */
export function referencedTargetGroups(
  ecs: EcsScenario | undefined,
  codedeploy: CodeDeployScenario | undefined,
): Reference[] {
  const refs: Reference[] = [];
  for (const cluster of ecs?.clusters ?? []) {
    for (const service of cluster.services ?? []) {
      for (const lb of service.loadBalancers ?? []) {
        const port = typeof lb.containerPort === 'number' ? lb.containerPort : undefined;
        const advanced = lb.advancedConfiguration as Record<string, unknown> | undefined;
        for (const arn of [lb.targetGroupArn, advanced?.alternateTargetGroupArn]) {
          const name = typeof arn === 'string' ? TARGET_GROUP_ARN.exec(arn)?.[1] : undefined;
          if (name) refs.push({ name, arn: arn as string, ...(port ? { port } : {}) });
        }
      }
    }
  }
  for (const app of codedeploy?.applications ?? []) {
    for (const group of app.deploymentGroups ?? []) {
      const info = group.loadBalancerInfo as
        | { targetGroupPairInfoList?: Array<Record<string, unknown>> }
        | undefined;
      for (const pair of info?.targetGroupPairInfoList ?? []) {
        const listener = (pair.prodTrafficRoute as { listenerArns?: string[] } | undefined)
          ?.listenerArns?.[0];
        // A listener ARN names its load balancer: `listener/app/<lb>/<id>/<listener-id>`.
        const loadBalancerArn = listener
          ?.replace(':listener/', ':loadbalancer/')
          .replace(/\/[0-9a-f]+$/, '');
        const names = ((pair.targetGroups ?? []) as Array<{ name?: string }>)
          .map((tg) => tg.name)
          .filter((name) => typeof name === 'string');
        for (const name of names) {
          const sibling = names.find((other) => other !== name);
          refs.push({
            name,
            ...(loadBalancerArn ? { loadBalancerArn } : {}),
            ...(sibling ? { sibling } : {}),
          });
        }
      }
    }
  }
  return refs;
}

export interface Elbv2Context extends AccountContext {
  ecs?: EcsScenario;
  codedeploy?: CodeDeployScenario;
}

export function createElbv2(scenario: Elbv2Scenario | undefined, ctx: Elbv2Context): Elbv2Module {
  const { region, accountId } = ctx;
  const groups: TargetGroupRecord[] = [];
  const vpcId = `vpc-${hex(`${accountId}/${region}`, 17)}`;

  function arnFor(name: string): string {
    return `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/${hex(`${accountId}/${region}/${name}`, 16)}`;
  }

  function find(arnOrName: string): TargetGroupRecord | undefined {
    return groups.find((g) => g.arn === arnOrName || g.name === arnOrName);
  }

  function upsert(ref: Reference): TargetGroupRecord {
    const existing = find(ref.arn ?? ref.name) ?? find(ref.name);
    if (existing) {
      if (ref.loadBalancerArn && !existing.loadBalancerArns.includes(ref.loadBalancerArn)) {
        existing.loadBalancerArns.push(ref.loadBalancerArn);
      }
      return existing;
    }
    const record: TargetGroupRecord = {
      arn: ref.arn ?? arnFor(ref.name),
      name: ref.name,
      protocol: 'HTTP',
      port: ref.port ?? (ref.sibling ? find(ref.sibling)?.port : undefined) ?? 80,
      vpcId,
      targetType: 'ip',
      loadBalancerArns: ref.loadBalancerArn ? [ref.loadBalancerArn] : [],
      healthCheck: { ...DEFAULT_HEALTH_CHECK },
      attributes: new Map(DEFAULT_ATTRIBUTES),
    };
    groups.push(record);
    return record;
  }

  for (const ref of referencedTargetGroups(ctx.ecs, ctx.codedeploy)) upsert(ref);
  for (const [index, spec] of (scenario?.targetGroups ?? []).entries()) {
    const where = `elbv2.targetGroups[${index}]`;
    const fromArn = spec.arn ? TARGET_GROUP_ARN.exec(spec.arn)?.[1] : undefined;
    if (spec.arn && !fromArn) throw new Error(`${where}: ${spec.arn} is not a target group ARN`);
    const name = spec.name ?? fromArn;
    if (!name) throw new Error(`${where}: needs a name or an arn`);
    if (fromArn && fromArn !== name) {
      throw new Error(`${where}: name ${name} differs from the ARN's ${fromArn}`);
    }
    const record = upsert({ name, ...(spec.arn ? { arn: spec.arn } : {}) });
    if (spec.protocol) record.protocol = spec.protocol;
    if (spec.port !== undefined) record.port = spec.port;
    if (spec.vpcId) record.vpcId = spec.vpcId;
    if (spec.targetType) record.targetType = spec.targetType;
    if (spec.loadBalancerArns) record.loadBalancerArns = [...spec.loadBalancerArns];
    Object.assign(record.healthCheck, spec.healthCheck ?? {});
    for (const [key, value] of Object.entries(spec.attributes ?? {})) {
      record.attributes.set(key, String(value));
    }
    const delay = Number(record.attributes.get('deregistration_delay.timeout_seconds'));
    if (!Number.isInteger(delay) || delay < 0 || delay > 3600) {
      throw new Error(`${where}: deregistration_delay.timeout_seconds must be 0-3600 seconds`);
    }
  }

  function targetGroupXml(g: TargetGroupRecord): string {
    const hc = g.healthCheck;
    return [
      el('TargetGroupArn', g.arn),
      el('TargetGroupName', g.name),
      el('Protocol', g.protocol),
      el('Port', g.port),
      el('VpcId', g.vpcId),
      el('HealthCheckProtocol', hc.protocol),
      el('HealthCheckPort', hc.port),
      el('HealthCheckEnabled', true),
      el('HealthCheckIntervalSeconds', hc.intervalSeconds),
      el('HealthCheckTimeoutSeconds', hc.timeoutSeconds),
      el('HealthyThresholdCount', hc.healthyThresholdCount),
      el('UnhealthyThresholdCount', hc.unhealthyThresholdCount),
      el('HealthCheckPath', hc.path),
      `<Matcher>${el('HttpCode', hc.matcher)}</Matcher>`,
      members('LoadBalancerArns', g.loadBalancerArns.map(escapeXml)),
      el('TargetType', g.targetType),
      el('ProtocolVersion', 'HTTP1'),
      el('IpAddressType', 'ipv4'),
    ].join('');
  }

  function describeTargetGroups(params: URLSearchParams): string {
    const arns = queryList(params, 'TargetGroupArns');
    const names = queryList(params, 'Names');
    const loadBalancerArn = params.get('LoadBalancerArn') ?? undefined;
    const filters = [arns?.length, names?.length, loadBalancerArn].filter(Boolean).length;
    if (filters > 1) {
      throw validationError(
        'You can specify only one of load balancer ARN, target group ARNs, or target group names',
      );
    }
    const pageSize = params.has('PageSize') ? Number(params.get('PageSize')) : PAGE_SIZE_MAX;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > PAGE_SIZE_MAX) {
      throw validationError(
        `1 validation error detected: Value '${params.get('PageSize')}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and ${PAGE_SIZE_MAX}`,
      );
    }
    let selected: TargetGroupRecord[];
    if (arns?.length) {
      for (const arn of arns) {
        if (!TARGET_GROUP_ARN.test(arn))
          throw validationError(`'${arn}' is not a valid target group ARN`);
      }
      selected = arns
        .map((arn) => groups.find((g) => g.arn === arn) ?? null)
        .filter((g) => g !== null);
      if (selected.length < new Set(arns).size) throw notFound();
    } else if (names?.length) {
      selected = names
        .map((name) => groups.find((g) => g.name === name) ?? null)
        .filter((g) => g !== null);
      if (selected.length < new Set(names).size) throw notFound();
    } else if (loadBalancerArn) {
      selected = groups.filter((g) => g.loadBalancerArns.includes(loadBalancerArn));
      if (selected.length === 0) {
        throw new AwsError('LoadBalancerNotFound', 'One or more load balancers not found');
      }
    } else {
      selected = [...groups];
    }
    const marker = params.get('Marker');
    const start = marker === null ? 0 : Number(Buffer.from(marker, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0 || start > selected.length) {
      throw validationError('The marker is not valid');
    }
    const page = selected.slice(start, start + pageSize);
    const next =
      start + pageSize < selected.length
        ? Buffer.from(String(start + pageSize)).toString('base64')
        : undefined;
    return members('TargetGroups', page.map(targetGroupXml)) + (next ? el('NextMarker', next) : '');
  }

  function describeTargetGroupAttributes(params: URLSearchParams): string {
    const arn = params.get('TargetGroupArn');
    if (!arn) {
      throw validationError(
        "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null",
      );
    }
    if (!TARGET_GROUP_ARN.test(arn))
      throw validationError(`'${arn}' is not a valid target group ARN`);
    const group = groups.find((g) => g.arn === arn);
    if (!group) throw notFound();
    return members(
      'Attributes',
      [...group.attributes].map(([key, value]) => el('Key', key) + el('Value', value)),
    );
  }

  return {
    name: 'elbv2',
    version: ELBV2_VERSION,
    xmlNamespace: ELBV2_NAMESPACE,
    targetGroups: groups,
    targetGroup: find,
    handle(action, params) {
      if (action === 'DescribeTargetGroups') return describeTargetGroups(params);
      if (action === 'DescribeTargetGroupAttributes') return describeTargetGroupAttributes(params);
      throw new AwsError(
        'InvalidAction',
        `The action ${action} is not valid for this web service.`,
      );
    },
  };
}
