// The Node flags the API runs with (`apps/api/node-flags.json`): `npm start` (start.mjs) and
// every tool that starts a build of the API, so what they measure is what `npm start` runs
// (the TypeScript benches and end-to-end suites read it as `@switchboard/browser-testing`'s
// `API_NODE_FLAGS`).
import { readFileSync } from 'node:fs';

/**
 * `--max-semi-space-size=64`: a young generation of up to 64 MB per semi-space, where a busy
 * desk's short-lived objects (socket messages, statements' rows) die without being copied.
 * Under the gateway bench it cut the main thread's GC time by ~40 % (~4 % of its busy time);
 * V8's new space may then take up to 128 MB instead of 32 (README → Operations).
 */
export const API_NODE_FLAGS = JSON.parse(readFileSync(new URL('../apps/api/node-flags.json', import.meta.url), 'utf8'));
