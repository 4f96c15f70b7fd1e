// The tests and the demo need a real OCI registry and skopeo (Debian packages). Installs them
// when missing and we are root (CI, a fresh container); otherwise says exactly what to run.
import { execFileSync, spawnSync } from 'node:child_process';

const needed = [
  { command: 'docker-registry', pkg: 'docker-registry' },
  { command: 'skopeo', pkg: 'skopeo' },
  { command: 'htpasswd', pkg: 'apache2-utils' },
  { command: 'shellcheck', pkg: 'shellcheck' },
  { command: 'openssl', pkg: 'openssl' },
  { command: 'tinyproxy', pkg: 'tinyproxy' },
];

const has = (command) =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = needed.filter((n) => !has(n.command)).map((n) => n.pkg);

if (missing.length > 0) {
  const install = `apt-get install -y ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(
      `missing system packages: ${missing.join(', ')}; install them with: sudo ${install}`,
    );
    process.exit(1);
  }
  console.log(`installing ${missing.join(', ')} (${install})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}
