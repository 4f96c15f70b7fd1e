// Amazon CloudWatch Logs simulator: log groups, streams and the events containers write to
// them through the awslogs driver, read back with GetLogEvents and FilterLogEvents (AWS JSON
// 1.1, target prefix Logs_20140328). Events become readable once ingested, a moment after
// their timestamp, so a reader polling a running task sees its output arrive line by line.

import type { SimContext } from '../clock.ts';
import { AwsError, type AwsServiceModule } from '../types.ts';

type Json = Record<string, unknown>;

export interface LogsScenario {
  /** Log groups that exist before the first request (tasks fail to start logging to others). */
  groups?: string[];
  /** Simulated ms between an event's timestamp and its ingestion. Default 200. */
  ingestionDelayMs?: number;
}

export interface LogEventRecord {
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

export interface LogStreamRecord {
  name: string;
  createdAt: number;
  /** Sorted by timestamp, then by arrival. */
  events: LogEventRecord[];
}

export interface LogGroupRecord {
  name: string;
  arn: string;
  createdAt: number;
  streams: Map<string, LogStreamRecord>;
}

export interface LogsModule extends AwsServiceModule {
  readonly name: 'logs';
  readonly groups: Map<string, LogGroupRecord>;
  hasGroup(name: string): boolean;
  createGroup(name: string, at: number): LogGroupRecord;
  /** Creates the stream if it is new (the awslogs driver does when a container starts). */
  createStream(group: string, stream: string, at: number): LogStreamRecord;
  /** Writes events as a container's log driver would; they are readable once ingested. */
  putEvents(group: string, stream: string, events: { timestamp: number; message: string }[]): void;
}

const MAX_LIMIT = 10_000;
const TOKEN_DIGITS = 56;

function str(params: Json, key: string): string | undefined {
  const v = params[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

function notFound(message: string): AwsError {
  return new AwsError('ResourceNotFoundException', message);
}

function limitOf(params: Json): number {
  const limit = params.limit;
  if (limit === undefined || limit === null) return MAX_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw invalid(
      `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${MAX_LIMIT}`,
    );
  }
  return limit;
}

/** GetLogEvents tokens: direction and a position in the stream, as `f/<digits>/s` like AWS's. */
function positionToken(direction: 'f' | 'b', position: number): string {
  return `${direction}/${String(position).padStart(TOKEN_DIGITS, '0')}/s`;
}

function parsePositionToken(token: string): { direction: 'f' | 'b'; position: number } {
  const match = /^([fb])\/(\d+)\/s$/.exec(token);
  if (!match) throw invalid('The specified nextToken is invalid.');
  return { direction: match[1] as 'f' | 'b', position: Number(match[2]) };
}

function decodeFilterToken(token: string): { p: number; s: string } | undefined {
  try {
    return JSON.parse(Buffer.from(token, 'base64').toString()) as { p: number; s: string };
  } catch {
    return undefined;
  }
}

/** Which events a FilterLogEvents pattern keeps: every term (or "quoted phrase") must appear. */
export function matchesPattern(pattern: string, message: string): boolean {
  const terms = [...pattern.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  return terms.every((term) => message.includes(term));
}

export function createLogs(scenario: LogsScenario | undefined, ctx: SimContext): LogsModule {
  const { region, accountId } = ctx;
  const ingestionDelay = scenario?.ingestionDelayMs ?? 200;
  const groups = new Map<string, LogGroupRecord>();
  let nextEventId = 0n;
  const now = () => ctx.clock.now();

  function createGroup(name: string, at: number): LogGroupRecord {
    const existing = groups.get(name);
    if (existing) return existing;
    const group: LogGroupRecord = {
      name,
      arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}`,
      createdAt: at,
      streams: new Map(),
    };
    groups.set(name, group);
    return group;
  }

  for (const name of scenario?.groups ?? []) createGroup(name, now() - 86_400_000);

  function groupFor(params: Json): LogGroupRecord {
    const name = str(params, 'logGroupName');
    const identifier = str(params, 'logGroupIdentifier');
    if (name !== undefined && identifier !== undefined) {
      throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    }
    if (name === undefined && identifier === undefined) {
      throw invalid('Either the log group name or the log group ARN must be specified.');
    }
    const key =
      identifier?.startsWith('arn:') === true
        ? identifier.replace(/^arn:[^:]+:logs:[^:]*:\d*:log-group:/, '').replace(/:\*$/, '')
        : (identifier ?? name!);
    const group = groups.get(key);
    if (group === undefined) throw notFound('The specified log group does not exist.');
    return group;
  }

  function createStream(groupName: string, stream: string, at: number): LogStreamRecord {
    const group = groups.get(groupName);
    if (group === undefined) throw notFound('The specified log group does not exist.');
    let record = group.streams.get(stream);
    if (record === undefined) {
      record = { name: stream, createdAt: at, events: [] };
      group.streams.set(stream, record);
    }
    return record;
  }

  function putEvents(
    groupName: string,
    stream: string,
    events: { timestamp: number; message: string }[],
  ): void {
    const record = createStream(groupName, stream, events[0]?.timestamp ?? now());
    for (const event of events) {
      nextEventId += 1n;
      record.events.push({
        timestamp: Math.round(event.timestamp),
        message: event.message,
        ingestionTime: Math.round(event.timestamp + ingestionDelay),
        eventId: nextEventId.toString().padStart(TOKEN_DIGITS, '0'),
      });
    }
    record.events.sort((a, b) => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId));
  }

  /** Events readable now, in the time range asked for. */
  function visible(events: LogEventRecord[], params: Json, endInclusive: boolean) {
    const at = now();
    const start = typeof params.startTime === 'number' ? params.startTime : -Infinity;
    const end = typeof params.endTime === 'number' ? params.endTime : Infinity;
    return events.filter(
      (e) =>
        e.ingestionTime <= at &&
        e.timestamp >= start &&
        (endInclusive ? e.timestamp <= end : e.timestamp < end),
    );
  }

  const outputEvent = (e: LogEventRecord) => ({
    timestamp: e.timestamp,
    message: e.message,
    ingestionTime: e.ingestionTime,
  });

  const operations: Record<string, (params: Json) => unknown> = {
    GetLogEvents(params) {
      const group = groupFor(params);
      const streamName = str(params, 'logStreamName');
      if (streamName === undefined) {
        throw invalid(
          "1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null",
        );
      }
      const stream = group.streams.get(streamName);
      if (stream === undefined) throw notFound('The specified log stream does not exist.');
      const limit = limitOf(params);
      const events = visible(stream.events, params, false);
      const token = str(params, 'nextToken');
      let from: number;
      let to: number;
      if (token === undefined) {
        if (params.startFromHead === true) {
          from = 0;
          to = Math.min(events.length, limit);
        } else {
          to = events.length;
          from = Math.max(0, to - limit);
        }
      } else {
        const { direction, position } = parsePositionToken(token);
        if (position > events.length) throw invalid('The specified nextToken is invalid.');
        if (direction === 'f') {
          from = position;
          to = Math.min(events.length, position + limit);
        } else {
          to = position;
          from = Math.max(0, position - limit);
        }
        // At either end of the stream AWS hands back the token it was given.
        if (from === to) {
          return { events: [], nextForwardToken: token, nextBackwardToken: token };
        }
      }
      return {
        events: events.slice(from, to).map(outputEvent),
        nextForwardToken: positionToken('f', to),
        nextBackwardToken: positionToken('b', from),
      };
    },
    FilterLogEvents(params) {
      const group = groupFor(params);
      const names = Array.isArray(params.logStreamNames)
        ? (params.logStreamNames as string[])
        : undefined;
      const prefix = str(params, 'logStreamNamePrefix');
      if (names !== undefined && prefix !== undefined) {
        throw invalid('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
      }
      if (names !== undefined && (names.length < 1 || names.length > 100)) {
        throw invalid(
          "1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100",
        );
      }
      const limit = limitOf(params);
      const pattern = str(params, 'filterPattern') ?? '';
      const streams = [...group.streams.values()].filter(
        (s) =>
          (names === undefined || names.includes(s.name)) &&
          (prefix === undefined || s.name.startsWith(prefix)),
      );
      if (names !== undefined && streams.length === 0) {
        throw notFound('The specified log stream does not exist.');
      }
      const matched = streams
        .flatMap((s) =>
          visible(s.events, params, true)
            .filter((e) => matchesPattern(pattern, e.message))
            .map((e) => ({ stream: s.name, event: e })),
        )
        .sort(
          (a, b) =>
            a.event.timestamp - b.event.timestamp || a.event.eventId.localeCompare(b.event.eventId),
        );
      const scope = `${group.name}|${pattern}`;
      let start = 0;
      const token = str(params, 'nextToken');
      if (token !== undefined) {
        const decoded = decodeFilterToken(token);
        if (decoded?.s !== scope || !Number.isInteger(decoded.p) || decoded.p < 0) {
          throw invalid('The specified nextToken is invalid.');
        }
        start = decoded.p;
      }
      const page = matched.slice(start, start + limit);
      const next = start + limit < matched.length ? start + limit : undefined;
      return {
        events: page.map(({ stream, event }) => ({
          logStreamName: stream,
          ...outputEvent(event),
          eventId: event.eventId,
        })),
        searchedLogStreams: [],
        ...(next !== undefined
          ? { nextToken: Buffer.from(JSON.stringify({ p: next, s: scope })).toString('base64') }
          : {}),
      };
    },
  };

  return {
    name: 'logs',
    targetPrefix: 'Logs_20140328',
    groups,
    hasGroup: (name) => groups.has(name),
    createGroup,
    createStream,
    putEvents,
    handle(operation, params) {
      const handler = operations[operation];
      if (handler === undefined) {
        throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
      }
      return handler(params);
    },
  };
}
