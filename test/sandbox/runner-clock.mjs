// Puts one process of the simulated runner on the sandbox's clock, so that the whole run tells
// time one way: loaded with `node --import` (NODE_OPTIONS) into every Node process a workflow
// step starts, it makes Date, performance.now() and every timer run SANDBOX_CLOCK's speed
// times faster than real time, from the same origin as the sandbox. A deploy that polls every
// five seconds then polls every five simulated seconds, its durations are simulated ones, and
// the times it prints agree with the timestamps AWS (the sandbox) hands back.
//
//   SANDBOX_CLOCK=<simulated epoch ms>:<real epoch ms at that instant>:<speed>
//
// Plain JavaScript: the `aws` runner tool runs on whatever Node is on PATH. Test and demo
// infrastructure only, never part of a bundle.
import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';

const spec = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(
  process.env.SANDBOX_CLOCK ?? '',
);
if (spec) {
  const [simStart, realStart, speed] = spec.slice(1).map(Number);
  const RealDate = Date;
  const realPerformanceNow = performance.now.bind(performance);
  // Real epoch milliseconds with performance.now()'s resolution, as the sandbox reads them:
  // Date.now()'s whole milliseconds would be 600 ms steps at 600 times real time.
  const realNow = () => performance.timeOrigin + realPerformanceNow();
  const simNow = () => simStart + (realNow() - realStart) * speed;

  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) =>
      Reflect.construct(target, args.length === 0 ? [simNow()] : args, newTarget),
    apply: () => new RealDate(simNow()).toString(),
    get: (target, property, receiver) =>
      property === 'now' ? () => Math.floor(simNow()) : Reflect.get(target, property, receiver),
  });

  const origin = realPerformanceNow();
  performance.now = () => origin + (realPerformanceNow() - origin) * speed;

  // A delay of `ms` simulated milliseconds is `ms / speed` real ones.
  const real = (ms) => (typeof ms === 'number' && ms > 0 ? ms / speed : ms);
  const { setTimeout: realSetTimeout, setInterval: realSetInterval } = timers;
  const promises = {
    setTimeout: timersPromises.setTimeout,
    setInterval: timersPromises.setInterval,
    wait: timersPromises.scheduler.wait.bind(timersPromises.scheduler),
  };
  const setTimeout = (callback, ms, ...args) => realSetTimeout(callback, real(ms), ...args);
  const setInterval = (callback, ms, ...args) => realSetInterval(callback, real(ms), ...args);
  setTimeout[promisify.custom] = (ms, value, options) =>
    promises.setTimeout(real(ms), value, options);
  globalThis.setTimeout = timers.setTimeout = setTimeout;
  globalThis.setInterval = timers.setInterval = setInterval;
  timersPromises.setTimeout = (ms, value, options) => promises.setTimeout(real(ms), value, options);
  timersPromises.setInterval = (ms, value, options) =>
    promises.setInterval(real(ms), value, options);
  timersPromises.scheduler.wait = (ms, options) => promises.wait(real(ms), options);
  const realAbortTimeout = AbortSignal.timeout.bind(AbortSignal);
  AbortSignal.timeout = (ms) => realAbortTimeout(Math.max(1, Math.round(real(ms))));
  syncBuiltinESMExports();
}
