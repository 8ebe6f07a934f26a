// After `ng build portal`: the portal's initial JavaScript — what index.html loads before the
// first page shows (its module script and modulepreload chunks) — must stay within 300 kB raw.
// Angular's own "initial" budget also counts the CSS, so this check is the JS-only figure.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const BUDGET_KB = 300;
const dir = process.argv[2] ?? 'dist/portal/browser';
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const files = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1]);
const bytes = files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
const kb = bytes / 1000;
console.log(`Portal initial JS: ${kb.toFixed(1)} kB raw in ${files.length} files (budget ${BUDGET_KB} kB)`);
if (kb > BUDGET_KB) {
  console.error(`The portal's initial JS is over budget by ${(kb - BUDGET_KB).toFixed(1)} kB: lazy-load what the first page does not need.`);
  process.exit(1);
}
