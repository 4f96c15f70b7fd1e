// Preloaded into a run-task step (NODE_OPTIONS=--require) by the e2e tests: once the test
// creates the file RUN_TASK_E2E_SIGNAL_FILE names, the step receives RUN_TASK_E2E_SIGNAL, as a
// step does when the runner cancels it. The post step (STATE_is-post set) is left alone.
const { existsSync } = require('node:fs');

const file = process.env.RUN_TASK_E2E_SIGNAL_FILE;
const signal = process.env.RUN_TASK_E2E_SIGNAL || 'SIGINT';
if (file && process.env['STATE_is-post'] === undefined) {
  const timer = setInterval(() => {
    if (!existsSync(file)) return;
    clearInterval(timer);
    process.kill(process.pid, signal);
  }, 20);
  timer.unref();
}
