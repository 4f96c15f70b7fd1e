// A stand-in for @actions/core in tests of an action's main: `vi.mock('@actions/core', () =>
// import('../lib/fake-core.ts'))`. Inputs come from a map; outputs, summaries and log lines are
// recorded in order, as the runner would receive them.
import type { AnnotationProperties } from '@actions/core';

export const recorded = {
  inputs: {} as Record<string, string>,
  outputs: [] as Array<[string, unknown]>,
  summaries: [] as string[],
  log: [] as string[],
};

export function resetCore(inputs: Record<string, string>): void {
  recorded.inputs = inputs;
  recorded.outputs = [];
  recorded.summaries = [];
  recorded.log = [];
}

export const getInput = (name: string): string => (recorded.inputs[name] ?? '').trim();
export const setOutput = (name: string, value: unknown): void => {
  recorded.outputs.push([name, value]);
};
export const info = (message: string): void => {
  recorded.log.push(message);
};
export const warning = (message: string, properties?: AnnotationProperties): void => {
  recorded.log.push(`warning${properties?.title ? ` (${properties.title})` : ''}: ${message}`);
};
export const debug = (message: string): void => {
  recorded.log.push(`debug: ${message}`);
};
export const startGroup = (title: string): void => {
  recorded.log.push(`group: ${title}`);
};
export const endGroup = (): void => {
  recorded.log.push('endgroup');
};
export const setFailed = (message: string): void => {
  recorded.log.push(`error: ${message}`);
};
export const isDebug = (): boolean => false;
export const summary = {
  addRaw(text: string) {
    recorded.summaries.push(text);
    return summary;
  },
  async write() {
    return summary;
  },
};
