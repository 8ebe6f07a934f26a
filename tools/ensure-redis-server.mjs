// Finds Debian's redis-server for the fault suites that start a Redis of their own (and stop it
// mid-call), installing the `redis-server` package when this is a Debian machine and we are
// root. Prints the path; exits non-zero with the package name otherwise.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server'].filter(Boolean);

/** Returns the path of a redis-server binary, installing Debian's `redis-server` package if needed. */
export function ensureRedisServer() {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    throw new Error('redis-server is missing. Install Debian\'s "redis-server" package (apt-get install redis-server) or set REDIS_SERVER_BIN.');
  }
  console.error('redis-server is missing: installing Debian\'s "redis-server" package…');
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'redis-server']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: install Debian's "redis-server" package by hand.`);
  }
  return '/usr/bin/redis-server';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureRedisServer());
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
