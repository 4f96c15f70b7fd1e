/**
 * The runner cancels a step with SIGINT, then SIGTERM about 7.5 s later, then kills it. This
 * turns either signal into an aborted AbortSignal (its reason names the signal) so the step can
 * stop its tasks and report before it is killed.
 */
export function cancellation(onSignal: (name: NodeJS.Signals) => void): {
  signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    onSignal(name);
    controller.abort(name);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
