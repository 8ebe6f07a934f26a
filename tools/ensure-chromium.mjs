// Finds Debian's Chromium for Karma and Playwright, installing it when this is a Debian
// machine and we are root. Prints the path; exits non-zero with the package name otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = [process.env.CHROME_BIN, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);

/** Returns the path of a Chromium binary, installing Debian's `chromium` package if needed. */
export function ensureChromium() {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    throw new Error('Chromium is missing. Install Debian\'s "chromium" package (apt-get install chromium) or set CHROME_BIN.');
  }
  console.error('Chromium is missing: installing Debian\'s "chromium" package…');
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: install Debian's "chromium" package by hand.`);
  }
  execFileSync('/usr/bin/chromium', ['--version'], { stdio: 'ignore' });
  return '/usr/bin/chromium';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(ensureChromium());
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
