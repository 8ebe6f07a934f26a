// Runs after `npm install` (the root package's `postinstall`): keeps the better-sqlite3 addon
// that npm just compiled where its installer looks first next time, so that the next
// `npm install` of this project on this machine — a fresh clone, CI — unpacks it in a second
// instead of compiling SQLite again (over two minutes on a 2-core machine of this kind).
//
// better-sqlite3 installs with `prebuild-install || node-gyp rebuild`. prebuild-install would
// download a prebuilt addon from GitHub, which these machines cannot reach, so node-gyp
// compiles it; but before downloading, prebuild-install looks in npm's cache
// (`<npm cache>/_prebuilds/`, under a name made from the download's address) and unpacks a
// tarball found there, after checking that the addon it holds loads in this Node. This script
// puts the addon compiled here under that name: the same package version, compiled from its
// own sources on this machine. Nothing else is cached, nothing is downloaded, and a cached
// addon that does not load makes prebuild-install fail, so the install compiles as before (and
// this script replaces it with what was compiled).
// On any problem it says so and leaves the install as it is (it never fails the install).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Where prebuild-install looks for `packageName`'s cached prebuild, as installed here. */
function cacheEntry(packageName) {
  const packageDir = dirname(require.resolve(`${packageName}/package.json`));
  const fromPackage = createRequire(join(packageDir, 'package.json'));
  const pkg = fromPackage('./package.json');
  const readConfig = fromPackage('prebuild-install/rc');
  const util = fromPackage('prebuild-install/util');
  // The options prebuild-install itself works out for this package (runtime, ABI, platform, libc).
  const options = { ...readConfig(pkg), pkg };
  return { packageDir, cached: util.cachedPrebuild(util.getDownloadUrl(options)) };
}

/**
 * Keeps `addon` (a path inside the package, as its prebuilt tarballs hold it) of `packageName`,
 * unless the cache already holds that very file (it was unpacked from there, or compiled the
 * same): a cached tarball that is damaged or does not load made this install compile, and is
 * replaced by what it compiled.
 */
function keep(packageName, addon) {
  const { packageDir, cached } = cacheEntry(packageName);
  const built = join(packageDir, addon);
  if (!existsSync(built)) return console.warn(`keep-native-build: ${packageName} has no ${addon}; nothing kept`);
  if (existsSync(cached) && sameFile(cached, addon, built)) return;
  // Only an addon that loads is kept (prebuild-install checks again when it unpacks it).
  require(built);
  mkdirSync(dirname(cached), { recursive: true });
  const partial = `${cached}.${process.pid}.partial`;
  try {
    execFileSync('tar', ['-czf', partial, '-C', packageDir, addon], { stdio: 'ignore' });
    renameSync(partial, cached);
    console.log(`keep-native-build: ${packageName}'s compiled addon kept for the next install (${cached})`);
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Whether the tarball `cached` holds `addon` with the same bytes as the file `built` (false if it cannot be read). */
function sameFile(cached, addon, built) {
  try {
    const held = execFileSync('tar', ['-xzOf', cached, addon], { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
    return held.equals(readFileSync(built));
  } catch {
    return false;
  }
}

try {
  keep('better-sqlite3', 'build/Release/better_sqlite3.node');
} catch (err) {
  console.warn(`keep-native-build: nothing kept (${err instanceof Error ? err.message : String(err)})`);
}
