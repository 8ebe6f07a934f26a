// Finds what the NAT suite (apps/portal-e2e/src/nat.e2e-spec.ts) needs besides Chromium —
// coturn's `turnserver`, `iptables`, `ip` — installing the Debian packages when this is a
// Debian machine and we are root. Exits non-zero naming the missing packages otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Each command the suite runs, and the Debian package that has it. */
const NEEDED = [
  ['turnserver', 'coturn'],
  ['iptables', 'iptables'],
  ['ip', 'iproute2'],
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

/** Installs the missing packages of {@link NEEDED}; throws naming them when it cannot. */
export function ensureNatTools() {
  const missing = NEEDED.filter(([command]) => !has(command)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const names = missing.map((p) => `"${p}"`).join(', ');
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    throw new Error(`The NAT test needs Debian's ${names} package(s): apt-get install ${missing.join(' ')} (as root).`);
  }
  console.error(`Installing Debian's ${names} for the NAT test…`);
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: install Debian's ${names} by hand.`);
  }
  // Debian starts no coturn service by itself (it is off in /etc/default/coturn); the suite runs its own.
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureNatTools();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
