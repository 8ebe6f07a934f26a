import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A side of the topology that sits behind its own NAT. */
export type NatSide = 'home' | 'campus';

/** How {@link NatTopology.create} builds the topology. */
export interface NatTopologyOptions {
  /**
   * Lower-case letters added to the namespaces' prefix (`sbnat<pid><tag>-`), so a run of
   * another tool in the same process tree is told apart by name.
   */
  tag?: string;
  /**
   * Delay added to each router's link to the public side, each way (milliseconds): a packet
   * between a side and the public side takes this long more, one between the sides twice
   * that (tools/bench/link-delay.py forwards the link's frames, as `tc netem delay` would).
   */
  linkDelayMs?: number;
}

/**
 * A small internet in network namespaces, built for one test run and removed after it:
 *
 * ```
 *  home (10.77.11.2) ── home router (NAT) ── 10.77.1.0/24 ──┐
 *                                                          public (10.77.0.1: API, coturn)
 *  campus (10.77.12.2) ─ campus router (NAT) ─ 10.77.2.0/24 ┘
 * ```
 *
 * Each router masquerades its side's traffic behind its public address (10.77.1.2, 10.77.2.2)
 * and forwards only inside its own namespace (the host's `ip_forward` is not touched). The
 * public namespace does not forward, so home and campus reach the public services and
 * nothing else: a call between them can only go through a TURN relay on the public side.
 * Every address lives inside these namespaces; the host's interfaces, routes and firewall
 * are left as they are.
 */
export class NatTopology {
  /** The public side's address: the API and coturn listen here. */
  static readonly PUBLIC_ADDRESS = '10.77.0.1';

  private readonly prefix: string;
  private readonly linkDelayMs: number;
  private readonly children = new Set<ChildProcess>();
  private readonly scratch: string;

  private constructor(prefix: string, linkDelayMs: number) {
    this.prefix = prefix;
    this.linkDelayMs = linkDelayMs;
    this.scratch = mkdtempSync(join(tmpdir(), 'switchboard-nat-'));
  }

  /**
   * Builds the topology (root, `ip` and `iptables` needed). Namespaces left by an earlier run
   * whose process is gone are removed first. Throws naming the missing package, if any.
   */
  static create(options: NatTopologyOptions = {}): NatTopology {
    const delayMs = options.linkDelayMs ?? 0;
    const needed = [['ip', 'iproute2'], ['iptables', 'iptables'], ['turnserver', 'coturn'], ...(delayMs > 0 ? [['python3', 'python3']] : [])];
    if (!/^[a-z]{0,4}$/.test(options.tag ?? '')) throw new Error(`NatTopology tag "${options.tag}": at most 4 lower-case letters`);
    for (const [binary, pkg] of needed) {
      if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) {
        throw new Error(`The NAT suite needs "${binary}": install Debian's "${pkg}" package (npm test installs it as root).`);
      }
    }
    if (process.getuid?.() !== 0) throw new Error('The NAT suite creates network namespaces: run it as root.');
    NatTopology.sweep();
    const topology = new NatTopology(`sbnat${process.pid}${options.tag ?? ''}`, delayMs);
    process.once('exit', () => topology.remove());
    try {
      topology.build();
    } catch (error) {
      topology.remove();
      throw error;
    }
    return topology;
  }

  /** The namespace's name. */
  ns(name: 'public' | NatSide | `${NatSide}-router`): string {
    return `${this.prefix}-${name}`;
  }

  /**
   * An executable that runs Chromium inside `side`'s namespace, for Playwright's
   * `executablePath` (`ip netns exec` keeps the pipes Playwright talks to it through).
   */
  chromiumIn(side: NatSide, chromium = process.env['CHROME_BIN'] || '/usr/bin/chromium'): string {
    const path = join(this.scratch, `chromium-${side}`);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${this.ns(side)} ${chromium} "$@"\n`, { mode: 0o755 });
    return path;
  }

  /** Starts `command` inside a namespace; it is killed by {@link remove} if still running. */
  spawnIn(ns: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Whether something listens on `address` (`ip:port`) for `protocol` inside `ns`. */
  listening(ns: string, protocol: 'udp' | 'tcp', address: string): boolean {
    const out = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Hln', protocol === 'udp' ? '-u' : '-t', 'src', address], { encoding: 'utf8' }).stdout ?? '';
    return out.trim().length > 0;
  }

  /** Cuts (false) or restores (true) `side`'s link to the public side, at its router. */
  setLinkUp(side: NatSide, up: boolean): void {
    this.ip(this.ns(`${side}-router`), 'link', 'set', 'wan', up ? 'up' : 'down');
    if (up) this.ip(this.ns(`${side}-router`), 'route', 'replace', 'default', 'via', side === 'home' ? '10.77.1.1' : '10.77.2.1');
  }

  /**
   * Drops `percent` of the UDP packets (the call's media) `side`'s browser sends, at random;
   * 0 stops it. Signaling (TCP) is never dropped. It uses iptables' `statistic` match, the
   * same random loss as `tc qdisc … netem loss`: the kernels of this project's VMs have no
   * `sch_netem` ("Specified qdisc kind is unknown").
   */
  setPacketLoss(side: NatSide, percent: number): void {
    const ns = this.ns(side);
    this.run('ip', ['netns', 'exec', ns, 'iptables', '-F', 'OUTPUT']);
    if (percent <= 0) return;
    this.run('ip', ['netns', 'exec', ns, 'iptables', '-A', 'OUTPUT', '-o', 'eth0', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', String(percent / 100), '-j', 'DROP']);
  }

  /** Kills what runs inside and deletes the namespaces (with their links and NAT rules). */
  remove(): void {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    for (const name of NatTopology.namespaces().filter((n) => n.startsWith(`${this.prefix}-`))) NatTopology.deleteNamespace(name);
    rmSync(this.scratch, { recursive: true, force: true });
  }

  private build(): void {
    const pub = this.ns('public');
    for (const ns of [pub, this.ns('home-router'), this.ns('home'), this.ns('campus-router'), this.ns('campus')]) {
      this.ip(null, 'netns', 'add', ns);
      this.ip(ns, 'link', 'set', 'lo', 'up');
    }
    this.ip(pub, 'addr', 'add', `${NatTopology.PUBLIC_ADDRESS}/32`, 'dev', 'lo');
    const sides: [NatSide, number][] = [
      ['home', 1],
      ['campus', 2],
    ];
    for (const [side, n] of sides) {
      const router = this.ns(`${side}-router`);
      // The router's public link: 10.77.n.1 on the public side, 10.77.n.2 on the router.
      if (this.linkDelayMs > 0) {
        // With a delay: to-<side> ── wanraw [link-delay.py] wanq ── wan, all but the first in the router.
        this.veth(pub, `to-${side}`, `10.77.${n}.1/24`, router, 'wanraw', null);
        this.veth(router, 'wan', `10.77.${n}.2/24`, router, 'wanq', null);
        this.spawnIn(router, 'python3', ['tools/bench/link-delay.py', 'wanraw', 'wanq', String(this.linkDelayMs)]);
      } else {
        this.veth(pub, `to-${side}`, `10.77.${n}.1/24`, router, 'wan', `10.77.${n}.2/24`);
      }
      // The side's own network behind it: 10.77.1n.1 on the router, 10.77.1n.2 for the browser.
      this.veth(router, 'lan', `10.77.1${n}.1/24`, this.ns(side), 'eth0', `10.77.1${n}.2/24`);
      this.ip(router, 'route', 'add', 'default', 'via', `10.77.${n}.1`);
      this.ip(this.ns(side), 'route', 'add', 'default', 'via', `10.77.1${n}.1`);
      this.run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      this.run('ip', ['netns', 'exec', router, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE']);
    }
  }

  /** A veth pair between two namespaces, renamed and addressed (unless null) inside each. */
  private veth(nsA: string, nameA: string, addressA: string | null, nsB: string, nameB: string, addressB: string | null): void {
    const tmpA = `${this.prefix.slice(-9)}a`;
    const tmpB = `${this.prefix.slice(-9)}b`;
    this.ip(null, 'link', 'add', tmpA, 'type', 'veth', 'peer', 'name', tmpB);
    const ends: [string, string, string, string | null][] = [
      [tmpA, nsA, nameA, addressA],
      [tmpB, nsB, nameB, addressB],
    ];
    for (const [tmp, ns, name, address] of ends) {
      this.ip(null, 'link', 'set', tmp, 'netns', ns);
      this.ip(ns, 'link', 'set', tmp, 'name', name);
      if (address) this.ip(ns, 'addr', 'add', address, 'dev', name);
      this.ip(ns, 'link', 'set', name, 'up');
    }
  }

  private ip(ns: string | null, ...args: string[]): void {
    this.run('ip', ns ? ['-n', ns, ...args] : args);
  }

  private run(command: string, args: string[]): void {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.error}`);
  }

  /** Removes namespaces of earlier runs whose process is gone (a run killed before cleaning up). */
  private static sweep(): void {
    for (const name of NatTopology.namespaces()) {
      const pid = /^sbnat(\d+)[a-z]*-/.exec(name)?.[1];
      if (pid === undefined || NatTopology.alive(Number(pid))) continue;
      NatTopology.deleteNamespace(name);
    }
  }

  private static deleteNamespace(name: string): void {
    // Processes still inside would keep it alive under no name: kill them first.
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync('ip', ['netns', 'del', name]);
  }

  private static namespaces(): string[] {
    const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
    return out.split('\n').map((line) => line.split(' ')[0]).filter((n) => n.startsWith('sbnat'));
  }

  private static alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
