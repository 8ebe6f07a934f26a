import { type ChildProcess } from 'node:child_process';
import { NatTopology } from './nat-topology';
import { eventually } from './wait';

/**
 * Runs `npm run turn` (tools/turn-server.mjs, as the README tells) in the public namespace,
 * relaying between the two NATs' public addresses, and waits until it listens.
 */
export async function startTurnServer(topology: NatTopology, secret: string): Promise<ChildProcess> {
  const address = NatTopology.PUBLIC_ADDRESS;
  const child = topology.spawnIn(topology.ns('public'), 'node', ['tools/turn-server.mjs', '--listen', address, '--allow-peer', address, '--min-port', '49152', '--max-port', '49252'], {
    ...process.env,
    TURN_SECRET: secret,
  });
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  await eventually(
    async () => child.exitCode ?? (topology.listening(topology.ns('public'), 'udp', `${address}:3478`) ? 'listening' : 'starting'),
    (state) => state !== 'starting',
    10_000,
    'coturn listening',
  );
  if (child.exitCode !== null) throw new Error(`coturn exited (${child.exitCode}):\n${log}`);
  return child;
}
