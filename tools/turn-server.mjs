// `npm run turn -- --listen <address>`: runs Debian's coturn (the `coturn` package) as the TURN
// server of Switchboard's calls. It shares TURN_SECRET with the API, which hands each call's
// parties a credential made from it (coturn's REST scheme: use-auth-secret +
// static-auth-secret), so coturn needs no user list. The configuration is written to a
// private temporary file (the secret stays off the command line) and removed on exit.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `Usage: TURN_SECRET=<the API's TURN_SECRET> npm run turn -- [options]

  --listen <ip>           address to listen and relay on (default: every address)
  --external-ip <ip>      the public address, when coturn runs behind a 1:1 NAT (e.g. a cloud VM)
  --port <n>              TURN/STUN port, UDP and TCP (default 3478)
  --tls-port <n>          turns: port with --cert and --pkey (default 5349)
  --cert <file> --pkey <file>   a certificate and key for turns: (TLS); without them TLS is off
  --realm <name>          the realm (default switchboard)
  --min-port <n> --max-port <n> the relay port range (default 49152-65535)
  --allow-peer <ip[-ip]>  relay to this private address or range too (repeatable); private,
                          loopback and link-local peers are refused by default
  --verbose               log every request`;

/** Peers coturn refuses to relay to unless --allow-peer says otherwise (coturn's advice). */
const DENIED_PEERS = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.0.0.0-192.0.0.255',
  '192.168.0.0-192.168.255.255',
  '198.18.0.0-198.19.255.255',
  '::1',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

/**
 * The coturn configuration for Switchboard: long-term credentials from the shared secret
 * only, no CLI, no multicast or private peers (unless allowed), quotas per user.
 *
 * @param {{ secret: string, listen?: string, externalIp?: string, port?: number, tlsPort?: number, cert?: string, pkey?: string,
 *   realm?: string, minPort?: number, maxPort?: number, allowPeers?: string[], dir: string, verbose?: boolean }} o
 *   (`dir`: a private directory for its pid file and user database)
 * @returns {string} the text of a turnserver.conf
 */
export function coturnConfig(o) {
  const lines = [
    `listening-port=${o.port ?? 3478}`,
    ...(o.listen ? [`listening-ip=${o.listen}`, `relay-ip=${o.listen}`] : []),
    ...(o.externalIp ? [`external-ip=${o.externalIp}`] : []),
    `min-port=${o.minPort ?? 49152}`,
    `max-port=${o.maxPort ?? 65535}`,
    `realm=${o.realm ?? 'switchboard'}`,
    'use-auth-secret',
    `static-auth-secret=${o.secret}`,
    'fingerprint',
    'stale-nonce=600',
    'user-quota=12',
    'no-cli',
    'no-multicast-peers',
    'no-software-attribute',
    ...DENIED_PEERS.map((range) => `denied-peer-ip=${range}`),
    ...(o.allowPeers ?? []).map((range) => `allowed-peer-ip=${range}`),
    ...(o.cert && o.pkey ? [`tls-listening-port=${o.tlsPort ?? 5349}`, `cert=${o.cert}`, `pkey=${o.pkey}`, 'no-tlsv1', 'no-tlsv1_1', 'no-dtls'] : ['no-tls', 'no-dtls']),
    'log-file=stdout',
    'simple-log',
    ...(o.verbose ? ['verbose'] : []),
    `pidfile=${join(o.dir, 'turnserver.pid')}`,
    // coturn opens a user database even when the shared secret is all it checks: a private one.
    `userdb=${join(o.dir, 'turndb')}`,
  ];
  return lines.join('\n') + '\n';
}

function main() {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string' },
      'external-ip': { type: 'string' },
      port: { type: 'string' },
      'tls-port': { type: 'string' },
      cert: { type: 'string' },
      pkey: { type: 'string' },
      realm: { type: 'string' },
      'min-port': { type: 'string' },
      'max-port': { type: 'string' },
      'allow-peer': { type: 'string', multiple: true },
      verbose: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return console.log(USAGE);
  const secret = process.env.TURN_SECRET ?? '';
  if (secret.length < 16) fail('TURN_SECRET must be set to the API\'s TURN_SECRET (at least 16 characters, e.g. `openssl rand -hex 32`).');
  if (Boolean(values.cert) !== Boolean(values.pkey)) fail('--cert and --pkey go together.');
  const port = (name, fallback) => {
    const v = values[name] === undefined ? fallback : Number(values[name]);
    if (!Number.isInteger(v) || v < 1 || v > 65535) fail(`--${name} must be a port number.`);
    return v;
  };
  if (spawnSync('turnserver', ['--help'], { stdio: 'ignore' }).error) {
    fail('turnserver is missing: install Debian\'s "coturn" package (apt-get install coturn).');
  }
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-turn-'));
  chmodSync(dir, 0o700);
  const file = join(dir, 'turnserver.conf');
  const config = coturnConfig({
    secret,
    listen: values.listen,
    externalIp: values['external-ip'],
    port: port('port', 3478),
    tlsPort: port('tls-port', 5349),
    cert: values.cert,
    pkey: values.pkey,
    realm: values.realm,
    minPort: port('min-port', 49152),
    maxPort: port('max-port', 65535),
    allowPeers: values['allow-peer'],
    dir,
    verbose: values.verbose,
  });
  writeFileSync(file, config, { mode: 0o600 });
  const child = spawn('turnserver', ['-c', file], { stdio: 'inherit' });
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    cleanUp();
    process.exit(code ?? (signal ? 1 : 0));
  });
}

function fail(message) {
  console.error(message);
  process.exit(2);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
