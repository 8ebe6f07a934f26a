// `npm start`: builds the portal and the API, creates the demo accounts (embedded default,
// never in production), then runs the one Node process that serves both on PORT (3000).
import { spawnSync, spawn } from 'node:child_process';
import { API_NODE_FLAGS } from './api-node-flags.mjs';

const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

sh('npm', ['run', '-s', 'build']);
if (process.env.NODE_ENV !== 'production') sh('node', ['dist/api/tools/src/seed-demo.js']);
const server = spawn('node', [...API_NODE_FLAGS, 'dist/api/apps/api/src/main.js'], { stdio: 'inherit', env: process.env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
