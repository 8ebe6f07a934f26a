// Where a relayed message's time goes, hop by hop, and what the slow ones coincide with.
// Preload it into the gateway benchmark itself (the clients) and into the servers it starts:
//
//   rm -rf /tmp/hop-trace; HOP_TRACE_DIR=/tmp/hop-trace BENCH_SERVER_NODE_FLAGS="-r ./tools/bench/hop-trace.cjs" \
//     flock /work/bench.lock node -r ./tools/bench/hop-trace.cjs dist/portal-e2e/tools/bench/gateway.js \
//     --db sqlite --rounds 1 --pairs 200 --setups 300 --seconds 12 --light-setups 400 --sockets 100
//   node tools/bench/hop-trace.cjs /tmp/hop-trace            # the light phases' hops, split
//   node tools/bench/hop-trace.cjs /tmp/hop-trace --slow 10  # and every hop over 10 ms, with its neighbours
//
// Every process writes HOP_TRACE_DIR/<role>-<pid>.ndjson (role: client, api, bare), one JSON
// array a line, times in ms of the machine's monotonic clock (process.hrtime: the same clock
// in every process, so a message's times on the client and the server compare):
// - all: ['stall', from, to, cpuMs] — the event loop ran no 1 ms timer from `from` to `to`
//   (over 3 ms), and the process used cpuMs of CPU meanwhile: about to − from means the loop
//   was busy, much less means the process was not running (the machine's 2 cores were taken);
//   ['gc', start, ms, kind].
// - client: ['send', at, event, messageId] (sendOffer, callerCandidate / agentCandidate,
//   sendAnswer as emitted),
//   ['recv', at, event, messageId] (offerRelayed, candidateRelayed, answerRelayed as read),
//   ['burst', from, to, event, n] (other events read, grouped when < 20 ms apart: e.g. the queue
//   snapshots every agent socket gets), ['phase', from, to, 'light' | 'saturated', url].
// - servers: ['meta', port], ['in', at, event, messageId, callId] (a packet handed to Socket.IO's
//   handlers; and the call's id), ['ack', at, event, messageId] (its ack sent), ['emit', from,
//   to, event, messageId] (an emit, with the writes it made synchronously), ['wire', at, event,
//   messageId] (the frame given to the WebSocket);
//   the API also ['sql', from, ms, text] (a synchronous SQLite call over 0.5 ms),
//   ['commit', from, to, units] (a grouped ledger transaction), ['pg', from, to, text] (a
//   PostgreSQL query over 2 ms, from sent to answered), ['tick', from, to, what] (the deadline
//   worker's pass, the queue feed's and the positions' sends).
const { appendFileSync, mkdirSync, readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const now = () => Number(process.hrtime.bigint()) / 1e6;

function record(dir) {
  mkdirSync(dir, { recursive: true });
  const script = process.argv[1] || '';
  const role = /apps\/api\/src\/main\.js$/.test(script) ? 'api' : /bare-relay\.js$/.test(script) ? 'bare' : 'client';
  const file = join(dir, `${role}-${process.pid}.ndjson`);
  let lines = [];
  // Entries are kept as arrays until written (a burst's count grows in place meanwhile).
  const put = (entry) => lines.push(entry);
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    lines = [];
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
  for (const signal of ['SIGTERM', 'SIGINT']) process.prependListener(signal, flush);
  if (role !== 'client') put(['meta', Number(process.env.PORT || 0), script]);

  // The loop's stalls: a 1 ms interval that did not run for over 3 ms.
  let last = now();
  let lastCpu = process.cpuUsage();
  setInterval(() => {
    const t = now();
    if (t - last > 3) {
      const cpu = process.cpuUsage(lastCpu);
      put(['stall', last, t, (cpu.user + cpu.system) / 1000]);
    }
    last = t;
    lastCpu = process.cpuUsage();
  }, 1).unref();
  const { PerformanceObserver, performance } = require('node:perf_hooks');
  const origin = now() - performance.now();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) put(['gc', origin + e.startTime, e.duration, e.detail ? e.detail.kind : e.kind]);
  }).observe({ entryTypes: ['gc'] });

  const fromCwd = (path) => require(join(process.cwd(), 'node_modules', path));
  const idOf = (payload) => (payload && typeof payload === 'object' ? payload.messageId || payload.callId || null : null);

  if (role === 'client') {
    const { Socket } = fromCwd('socket.io-client');
    const SENT = new Set(['sendOffer', 'sendCandidate', 'sendAnswer']);
    const RELAYED = new Set(['offerRelayed', 'candidateRelayed', 'answerRelayed']);
    const emit = Socket.prototype.emit;
    Socket.prototype.emit = function (event, ...args) {
      // The bench's caller candidates are its candidate(0..5), the agent's candidate(10..13).
      const k = event === 'sendCandidate' ? Number(/^candidate:(\d+)/.exec(args[0].candidate.candidate)?.[1]) : NaN;
      if (SENT.has(event)) put(['send', now(), k < 10 ? 'callerCandidate' : k >= 10 ? 'agentCandidate' : event, idOf(args[0])]);
      return emit.call(this, event, ...args);
    };
    const bursts = new Map();
    const onevent = Socket.prototype.onevent;
    Socket.prototype.onevent = function (packet) {
      const t = now();
      const event = packet.data && packet.data[0];
      if (RELAYED.has(event)) put(['recv', t, event, idOf(packet.data[1])]);
      else {
        const b = bursts.get(event);
        if (b && t - b[2] < 20) {
          b[2] = t;
          b[4]++;
        } else {
          const burst = ['burst', t, t, event, 1];
          bursts.set(event, burst);
          put(burst);
        }
      }
      return onevent.call(this, packet);
    };
    // The phases: the bench's module is loaded by gateway.js; patched once it is.
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, parent, isMain) {
      const exported = load.call(this, request, parent, isMain);
      if (/gateway-calls(\.js)?$/.test(request) && exported.CallBench && !exported.CallBench.__traced) {
        exported.CallBench.__traced = true;
        const proto = exported.CallBench.prototype;
        for (const [name, kind] of [['fixedRate', 'light'], ['saturate', 'saturated']]) {
          const original = proto[name];
          proto[name] = async function (...args) {
            const from = now();
            try {
              return await original.apply(this, args);
            } finally {
              put(['phase', from, now(), kind, this.agents[0] && this.agents[0].io.uri]);
            }
          };
        }
      }
      return exported;
    };
    return;
  }

  const RELAYED = /^2\d*\["(offerRelayed|candidateRelayed|answerRelayed)".*?"messageId":"([^"]+)"/s;
  // The API's Socket.IO is @nestjs/platform-socket.io's own copy; the bare relay's, the workspace's.
  for (const root of ['@nestjs/platform-socket.io/node_modules/socket.io', 'socket.io']) {
    let Socket;
    let BroadcastOperator;
    try {
      ({ Socket } = fromCwd(`${root}/dist/socket.js`));
      ({ BroadcastOperator } = fromCwd(`${root}/dist/broadcast-operator.js`));
    } catch {
      continue;
    }
    const onevent = Socket.prototype.onevent;
    Socket.prototype.onevent = function (packet) {
      const data = packet.data || [];
      put(['in', now(), data[0], idOf(data[1]), data[1] && typeof data[1] === 'object' ? data[1].callId || null : null]);
      if (packet.id !== undefined) (this.__asked ??= new Map()).set(packet.id, [data[0], idOf(data[1])]);
      return onevent.call(this, packet);
    };
    const ack = Socket.prototype.ack;
    Socket.prototype.ack = function (id) {
      const answer = ack.call(this, id);
      return (...args) => {
        const [event, about] = (this.__asked && this.__asked.get(id)) || ['?', null];
        this.__asked?.delete(id);
        const from = now();
        answer(...args);
        put(['ack', from, event, about]);
      };
    };
    for (const proto of [Socket.prototype, BroadcastOperator.prototype]) {
      const emit = proto.emit;
      proto.emit = function (event, ...args) {
        const from = now();
        try {
          return emit.call(this, event, ...args);
        } finally {
          put(['emit', from, now(), event, idOf(args[0])]);
        }
      };
    }
  }
  const transport = fromCwd('engine.io/build/transports/websocket.js').WebSocket;
  const send = transport.prototype.send;
  transport.prototype.send = function (packets) {
    const t = now();
    for (const p of packets) {
      const m = typeof p.data === 'string' ? RELAYED.exec(p.data.slice(0, 400)) : null;
      if (m) put(['wire', t, m[1], m[2]]);
    }
    return send.call(this, packets);
  };
  if (role !== 'api') return;

  const Database = fromCwd('better-sqlite3');
  const Statement = Database.prototype.prepare.call(new Database(':memory:'), 'select 1').constructor;
  const timed = (proto, name, textOf) => {
    const original = proto[name];
    proto[name] = function (...args) {
      const from = now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = now() - from;
        if (ms > 0.5) put(['sql', from, ms, String(textOf(this, args)).replace(/\s+/g, ' ').slice(0, 70)]);
      }
    };
  };
  for (const name of ['run', 'get', 'all']) timed(Statement.prototype, name, (s) => s.source);
  timed(Database.prototype, 'exec', (_, a) => a[0]);
  timed(Database.prototype, 'pragma', (_, a) => `pragma ${a[0]}`);
  const pg = fromCwd('pg');
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    const text = (typeof config === 'string' ? config : config && config.text) || '?';
    const from = now();
    const result = query.call(this, config, ...rest);
    if (result && typeof result.then === 'function') {
      result.then(
        () => {
          const to = now();
          if (to - from > 2) put(['pg', from, to, text.replace(/\s+/g, ' ').slice(0, 70)]);
        },
        () => undefined,
      );
    }
    return result;
  };
  const apiDir = script.replace(/apps\/api\/src\/main\.js$/, '');
  const patchAsync = (path, className, method, what) => {
    const Class = require(join(apiDir, path))[className];
    const original = Class.prototype[method];
    Class.prototype[method] = async function (...args) {
      const from = now();
      try {
        return await original.apply(this, args);
      } finally {
        put([what === 'commit' ? 'commit' : 'tick', from, now(), what === 'commit' ? args[0].length : what]);
      }
    };
  };
  patchAsync('apps/api/src/calls/ledger/call-ledger.js', 'CallLedger', 'commitTogether', 'commit');
  patchAsync('apps/api/src/calls/deadline-worker.service.js', 'DeadlineWorker', 'tick', 'deadlines');
  patchAsync('apps/api/src/calls/queue-feed.service.js', 'QueueFeed', 'send', 'queue feed');
  for (const method of ['send', 'sendAll', 'announceNow']) {
    try {
      const Class = require(join(apiDir, 'apps/api/src/calls/queue-positions.js')).QueuePositions;
      if (typeof Class.prototype[method] === 'function') patchAsync('apps/api/src/calls/queue-positions.js', 'QueuePositions', method, `positions ${method}`);
    } catch {
      // Another build: no such method.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis: `node tools/bench/hop-trace.cjs DIR [--slow MS]`.

function analyse(args) {
  const dir = args[0];
  const slowAt = args.includes('--slow') ? Number(args[args.indexOf('--slow') + 1]) : null;
  const read = (f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  const client = files.filter((f) => f.startsWith('client-')).flatMap(read);
  const servers = files.filter((f) => !f.startsWith('client-')).map((f) => {
    const entries = read(f);
    const meta = entries.find((e) => e[0] === 'meta');
    return { name: f.replace(/\.ndjson$/, ''), port: meta ? meta[1] : 0, script: meta ? meta[2] : '', entries };
  });
  for (const phase of client.filter((e) => e[0] === 'phase' && e[3] === 'light')) {
    const [, from, to, , url] = phase;
    const port = Number(new URL(url).port);
    const server = servers.find((s) => s.port === port) || servers.find((s) => s.name.startsWith('bare-') && !s.port && inPhase(s.entries, from, to));
    const label = server ? `${server.name} (${server.script.replace(/\/apps\/api\/src\/main\.js$/, '').replace(process.cwd() + '/', '')})` : `port ${port}`;
    // The warm-up's few calls are a fixed-rate phase too: left out.
    if (to - from < 3000) continue;
    const within = (e) => e[1] >= from && e[1] <= to + 300;
    const sends = new Map(client.filter((e) => e[0] === 'send' && within(e)).map((e) => [e[3], e]));
    const s = new Map();
    for (const e of (server ? server.entries : []).filter(within)) {
      if (e[0] === 'in' && e[3]) s.set(`in:${e[3]}`, e[1]);
      else if (e[0] === 'emit' && e[4] && /Relayed$/.test(e[3])) s.has(`emit:${e[4]}`) || s.set(`emit:${e[4]}`, e);
      else if (e[0] === 'wire') s.has(`wire:${e[3]}`) || s.set(`wire:${e[3]}`, e[1]);
    }
    const hops = [];
    for (const r of client.filter((e) => e[0] === 'recv' && within(e))) {
      const sent = sends.get(r[3]);
      if (!sent) continue;
      const hop = sent[2] === 'sendOffer' ? 'offer' : sent[2] === 'sendAnswer' ? 'answer' : sent[2];
      const inAt = s.get(`in:${r[3]}`);
      const emit = s.get(`emit:${r[3]}`);
      const wire = s.get(`wire:${r[3]}`);
      hops.push({ hop, id: r[3], sent: sent[1], total: r[1] - sent[1], toServer: inAt - sent[1], handling: emit ? emit[1] - inAt : NaN, toWire: wire - (emit ? emit[1] : inAt), toClient: r[1] - wire, recv: r[1] });
    }
    console.log(`\nlight phase against ${label}: ${hops.length} hops (${((to - from) / 1000).toFixed(1)} s)`);
    console.log('hop               |    n |  p50 |  p99 |  max | p99 of: client→server read | handling | emit→wire | wire→client read');
    const HOP_ORDER = ['offer', 'callerCandidate', 'answer', 'agentCandidate'];
    for (const hop of HOP_ORDER) {
      const of = hops.filter((h) => h.hop === hop);
      if (of.length === 0) continue;
      const p = (k, q) => pct(of.map((h) => h[k]).filter(Number.isFinite), q);
      console.log(`${hop.padEnd(17)} | ${String(of.length).padStart(4)} | ${f(p('total', 50))} | ${f(p('total', 99))} | ${f(p('total', 100))} | ${f(p('toServer', 99)).padStart(26)} | ${f(p('handling', 99)).padStart(8)} | ${f(p('toWire', 99)).padStart(9)} | ${f(p('toClient', 99)).padStart(16)}`);
    }
    // The bench's agent accepts the moment the call is offered, as its caller sends the offer:
    // an offer the server reads after that call's acceptCall waits for the accept's transaction.
    const entries = server ? server.entries.filter(within) : [];
    const acceptIn = new Map(entries.filter((e) => e[0] === 'in' && e[2] === 'acceptCall').map((e) => [e[3], e[1]]));
    const offerIn = new Map(entries.filter((e) => e[0] === 'in' && e[2] === 'sendOffer').map((e) => [e[3], e]));
    const offers = hops.filter((h) => h.hop === 'offer' && offerIn.has(h.id) && offerIn.get(h.id)[4]);
    const behind = offers.filter((h) => acceptIn.get(offerIn.get(h.id)[4]) < offerIn.get(h.id)[1]);
    const others = offers.filter((h) => !behind.includes(h));
    const p = (list, q) => f(pct(list.map((h) => h.total), q));
    if (offers.length > 0) console.log(`offers read after their call's acceptCall: ${behind.length} of ${offers.length}, p50 ${p(behind, 50)} p99 ${p(behind, 99)} ms; the others p50 ${p(others, 50)} p99 ${p(others, 99)} ms`);
    const slow = hops.filter((h) => h.total > (slowAt ?? 10));
    console.log(`hops over ${slowAt ?? 10} ms: ${slow.length} of ${hops.length}; their largest part: ${tally(slow.map((h) => largest(h)))}`);
    const stalls = (entries, a, b) => entries.filter((e) => e[0] === 'stall' && e[2] >= a && e[1] <= b);
    const clientStalls = stalls(client, from, to);
    const serverStalls = server ? stalls(server.entries, from, to) : [];
    const sum = (list) => list.reduce((n, e) => n + (e[2] - e[1]), 0);
    const cpuOf = (list) => list.reduce((n, e) => n + e[3], 0);
    console.log(`stalls over 3 ms in the phase: client ${clientStalls.length} (${sum(clientStalls).toFixed(0)} ms, ${cpuOf(clientStalls).toFixed(0)} ms CPU), server ${serverStalls.length} (${sum(serverStalls).toFixed(0)} ms, ${cpuOf(serverStalls).toFixed(0)} ms CPU)`);
    // What the slow hops coincide with, against how often any hop does (the base rate).
    const causes = coincidences(client, server ? server.entries : []);
    const top = [...hops].sort((a, b) => b.total - a.total).slice(0, Math.max(1, Math.ceil(hops.length / 100)));
    const rate = (list, name) => `${((100 * list.filter((h) => causes(h).has(name)).length) / Math.max(1, list.length)).toFixed(0)}%`.padStart(5);
    console.log(`what the slowest 1 % (${top.length}, over ${f(top[top.length - 1].total)} ms) overlap, against all hops:`);
    for (const name of CAUSES) console.log(`  ${name.padEnd(44)} ${rate(top, name)} vs ${rate(hops, name)}`);
    const none = top.filter((h) => causes(h).size === 0).length;
    console.log(`  ${'none of these'.padEnd(44)} ${String(none).padStart(4)} of ${top.length}`);
    if (slowAt === null) continue;
    for (const h of slow.sort((a, b) => a.sent - b.sent)) {
      console.log(`  ${h.hop} ${f(h.total)} ms: →server ${f(h.toServer)}, handling ${f(h.handling)}, →wire ${f(h.toWire)}, →client ${f(h.toClient)}`);
      const a = h.sent - 5;
      const b = h.recv;
      const near = (entries, who) =>
        entries
          .filter((e) => ['stall', 'gc', 'sql', 'commit', 'pg', 'tick', 'burst'].includes(e[0]) || (e[0] === 'emit' && !/Relayed$/.test(e[3])) || (e[0] === 'in' && !/^send/.test(e[2])))
          .filter((e) => {
            const start = e[1];
            const end = e[0] === 'gc' || e[0] === 'sql' ? e[1] + e[2] : e[0] === 'in' ? e[1] : e[2];
            return end >= a && start <= b && !(e[0] === 'emit' && end - start < 1);
          })
          .map((e) => `${who} ${describe(e, h.sent)}`);
      for (const line of [...near(client, 'client'), ...(server ? near(server.entries, 'server') : [])]) console.log(`      ${line}`);
    }
  }

}

/** What a hop may wait for, as {@link coincidences} names it. */
const CAUSES = [
  'server: queueChanged to the agents (≥ 2 ms)',
  'server: other emit ≥ 1 ms',
  'server: SQLite commit ≥ 2 ms',
  'server: other SQLite call ≥ 2 ms',
  'server: GC',
  'server: busy stall (CPU ≥ 60 %)',
  'server: not running (stall, CPU < 60 %)',
  'client: reading ≥ 100 frames of one event',
  'client: GC',
  'client: busy stall (CPU ≥ 60 %)',
  'client: not running (stall, CPU < 60 %)',
];

/** For a hop: the names of the {@link CAUSES} whose span overlaps its time in flight. */
function coincidences(client, server) {
  const spans = [];
  const add = (name, from, to) => spans.push([name, from, to]);
  const stall = (who, e) => add(`${who}: ${e[3] >= 0.6 * (e[2] - e[1]) ? 'busy stall (CPU ≥ 60 %)' : 'not running (stall, CPU < 60 %)'}`, e[1], e[2]);
  for (const e of server) {
    if (e[0] === 'emit' && e[3] === 'queueChanged' && e[2] - e[1] >= 2) add(CAUSES[0], e[1], e[2]);
    else if (e[0] === 'emit' && !/Relayed$/.test(e[3]) && e[2] - e[1] >= 1) add(CAUSES[1], e[1], e[2]);
    else if (e[0] === 'sql' && e[2] >= 2) add(/^commit/i.test(e[3]) ? CAUSES[2] : CAUSES[3], e[1], e[1] + e[2]);
    else if (e[0] === 'gc') add(CAUSES[4], e[1], e[1] + e[2]);
    else if (e[0] === 'stall') stall('server', e);
  }
  for (const e of client) {
    if (e[0] === 'burst' && e[4] >= 100) add(CAUSES[7], e[1], e[2]);
    else if (e[0] === 'gc') add(CAUSES[8], e[1], e[1] + e[2]);
    else if (e[0] === 'stall') stall('client', e);
  }
  spans.sort((a, b) => a[1] - b[1]);
  const starts = spans.map((s) => s[1]);
  const longest = spans.reduce((m, s) => Math.max(m, s[2] - s[1]), 0);
  return (h) => {
    const found = new Set();
    // Spans starting before the hop's end, and not more than the longest span before its start.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < h.sent - longest) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < spans.length && spans[i][1] <= h.recv; i++) if (spans[i][2] >= h.sent) found.add(spans[i][0]);
    return found;
  };
}

function inPhase(entries, from, to) {
  return entries.some((e) => e[0] === 'in' && e[1] >= from && e[1] <= to);
}
function pct(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))];
}
function f(v) {
  return Number.isFinite(v) ? v.toFixed(1).padStart(4) : '   —';
}
function largest(h) {
  const parts = [['→server', h.toServer], ['handling', h.handling], ['→wire', h.toWire], ['→client', h.toClient]].filter(([, v]) => Number.isFinite(v));
  return parts.sort((a, b) => b[1] - a[1])[0]?.[0] ?? '?';
}
function tally(names) {
  const m = new Map();
  for (const n of names) m.set(n, (m.get(n) || 0) + 1);
  return [...m].map(([k, v]) => `${k} ×${v}`).join(', ') || '—';
}
function describe(e, t0) {
  const at = (t) => `${(t - t0).toFixed(1)}`;
  switch (e[0]) {
    case 'stall':
      return `stall ${at(e[1])}..${at(e[2])} (${(e[2] - e[1]).toFixed(1)} ms, ${e[3].toFixed(1)} ms CPU)`;
    case 'gc':
      return `gc ${at(e[1])} ${e[2].toFixed(1)} ms kind ${e[3]}`;
    case 'sql':
      return `sql ${at(e[1])} ${e[2].toFixed(1)} ms ${e[3]}`;
    case 'commit':
      return `grouped commit ${at(e[1])}..${at(e[2])} ${e[3]} units`;
    case 'pg':
      return `pg ${at(e[1])}..${at(e[2])} ${e[3]}`;
    case 'tick':
      return `${e[3]} ${at(e[1])}..${at(e[2])}`;
    case 'burst':
      return `read ${e[4]}× ${e[3]} ${at(e[1])}..${at(e[2])}`;
    case 'emit':
      return `emit ${e[3]} ${at(e[1])}..${at(e[2])} (${(e[2] - e[1]).toFixed(1)} ms)`;
    case 'in':
      return `in ${e[2]} ${at(e[1])}`;
    default:
      return JSON.stringify(e);
  }
}

if (require.main === module) analyse(process.argv.slice(2));
else if (process.env.HOP_TRACE_DIR && require('node:worker_threads').isMainThread) record(process.env.HOP_TRACE_DIR);
