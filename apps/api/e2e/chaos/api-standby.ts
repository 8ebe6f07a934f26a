// A node process that loads the API's modules ahead of time and runs the built entry point
// (`dist/api/apps/api/src/main.js`, unchanged) when its parent says "start": a restart after
// a SIGKILL then costs the API's own start-up, not seconds of loading JavaScript.
import { join } from 'node:path';

const API = join(process.cwd(), 'dist/api/apps/api/src');

require('reflect-metadata');
require(join(API, 'app.js'));
// Orphaned (the run died): leave.
const orphaned = () => process.exit(0);
process.once('disconnect', orphaned);
process.send?.('loaded');
process.once('message', () => {
  process.off('disconnect', orphaned);
  process.disconnect?.();
  require(join(API, 'main.js'));
});
