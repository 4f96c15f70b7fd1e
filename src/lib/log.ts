import * as core from '@actions/core';
import { plainText } from './stdout.ts';

/**
 * Where an action's progress goes. Every action and every piece of logic takes this one shape:
 * the runner log in the action (`actionsLog`), an array in unit tests (`memoryLog`).
 */
export interface Log {
  info(message: string): void;
  warning(message: string, properties?: core.AnnotationProperties): void;
  debug(message: string): void;
  startGroup(title: string): void;
  endGroup(): void;
}

/**
 * The runner log, through @actions/core. A plain line may carry text from anywhere, so it is
 * printed through `plainText` and never starts a workflow command; warnings, debug lines and
 * group titles go as command data, which @actions/core escapes.
 */
export const actionsLog: Log = {
  info: (message) => core.info(plainText(message)),
  warning: (message, properties) => core.warning(message, properties),
  debug: (message) => core.debug(message),
  startGroup: (title) => core.startGroup(title),
  endGroup: () => core.endGroup(),
};

export interface MemoryLog extends Log {
  /** Every line in order, prefixed by its level (`warning: …`, `group: …`); info lines bare. */
  readonly lines: string[];
}

/** A log that keeps its lines, for tests and for logic that reports what it said. */
export function memoryLog(): MemoryLog {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(message),
    warning: (message) => lines.push(`warning: ${message}`),
    debug: (message) => lines.push(`debug: ${message}`),
    startGroup: (title) => lines.push(`group: ${title}`),
    endGroup: () => lines.push('endgroup'),
  };
}
