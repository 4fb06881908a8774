// The API against the stock gobgp CLI (Debian gobgpd 3.10.0's `gobgp`): the server runs
// on 127.0.0.1 over the scenario's FakeBackend, and gobgp's text output is checked
// against what it prints for gobgpd holding the same routes (captured on loopback with
// gobgpd and three exabgp peers; see the expected lines below).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { formatAddress, formatPrefix } from '../lib/address.js';
import { systemClock } from '../lib/clock.js';
import { ApiServer } from './server.js';
import { scenarioBackend, scenarioRoute, type FakeBackend } from './fake-backend.js';

const gobgpTimeoutMs = 10_000;
const children = new Set<ChildProcess>();
let backend: FakeBackend;
let server: ApiServer;
let port: number;

before(async () => {
  backend = scenarioBackend(systemClock.wallNow());
  server = await ApiServer.start(backend, { hosts: '127.0.0.1:0' });
  port = server.endpoints[0]!.port;
});

after(async () => {
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  await server.close();
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function startGobgp(args: readonly string[]): ChildProcess {
  const child = spawn('gobgp', ['-u', '127.0.0.1', '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Runs gobgp to completion; killed by PID if it takes longer than the bound. */
function gobgp(...args: string[]): Promise<Run> {
  const child = startGobgp(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve, reject) => {
    const cancel = systemClock.after(gobgpTimeoutMs, () => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`gobgp ${args.join(' ')} did not finish in ${gobgpTimeoutMs} ms`));
    });
    child.on('error', (e) => {
      cancel();
      reject(e);
    });
    child.on('close', (code) => {
      cancel();
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running gobgp (monitor) and collects its lines until `count` have come. */
function gobgpLines(args: readonly string[], count: number): { readonly lines: Promise<string[]>; stop(): void } {
  const child = startGobgp(args);
  const lines: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const stop = (): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  };
  const done = new Promise<string[]>((resolve, reject) => {
    const cancel = systemClock.after(gobgpTimeoutMs, () => {
      stop();
      reject(new Error(`gobgp ${args.join(' ')}: ${lines.length} of ${count} lines in ${gobgpTimeoutMs} ms; stderr: ${stderr}`));
    });
    child.stdout!.on('data', (b: Buffer) => {
      buffer += b.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
      if (lines.length >= count) {
        cancel();
        resolve(lines.slice(0, count));
      }
    });
    child.on('close', () => {
      cancel();
      if (lines.length < count) reject(new Error(`gobgp ${args.join(' ')} ended after ${lines.length} of ${count} lines; stderr: ${stderr}`));
    });
  });
  return { lines: done, stop };
}

test('gobgp global shows the AS, router ID and listening port', async () => {
  const r = await gobgp('global');
  assert.equal(r.code, 0, r.stderr);
  // gobgpd prints "Multipath: enabled" without a newline; so does gobgp for us.
  assert.match(r.stdout, /^AS:\s+64512\nRouter-ID: 172\.17\.0\.1\nListening Port: 179, Addresses: 0\.0\.0\.0\nMultipath: enabled/);
});

test('gobgp neighbor lists the three peers as Established', async () => {
  const r = await gobgp('neighbor');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^Peer\s+AS\s+Up\/Down\s+State\s+\|#Received\s+Accepted$/);
  assert.equal(lines.length, 4);
  for (const [i, host] of [21, 22, 23].entries()) {
    assert.match(lines[i + 1]!, new RegExp(`^172\\.17\\.0\\.${host} 64522 01:0\\d:\\d\\d Establ\\s+\\|\\s+1\\s+1$`));
  }
});

test('gobgp neighbor ADDRESS shows the session details', async () => {
  const r = await gobgp('neighbor', '172.17.0.21');
  assert.equal(r.code, 0, r.stderr);
  const expected = [
    /^BGP neighbor is 172\.17\.0\.21, remote AS 64522$/m,
    /^ {2}BGP version 4, remote router ID 172\.17\.0\.21$/m,
    /^ {2}BGP state = ESTABLISHED, up for 01:0\d:\d\d$/m,
    /^ {2}BGP OutQ = 0, Flops = 0$/m,
    /^ {2}Hold time is 90, keepalive interval is 30 seconds$/m,
    /^ {2}Configured hold time is 90, keepalive interval is 30 seconds$/m,
    /^ {8}ipv4-unicast:\tadvertised and received$/m,
    /^ {4}route-refresh:\tadvertised$/m,
    /^ {4}4-octet-as:\tadvertised and received$/m,
    /^ {4}Opens: +1 +1$/m,
    /^ {4}Keepalives: +121 +120$/m,
    /^ {4}Total: +122 +122$/m,
    /^ {4}Received: +1$/m,
    /^ {4}Accepted: +1$/m,
  ];
  for (const re of expected) assert.match(r.stdout, re);
});

test('gobgp global rib shows 172.17.254.1/32 via the three nodes, one best', async () => {
  const r = await gobgp('global', 'rib');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ {3}Network\s+Next Hop\s+AS_PATH\s+Age\s+Attrs$/);
  assert.match(lines[1]!, /^\*> 172\.17\.254\.1\/32 +172\.17\.0\.21 +64522 +00:0\d:\d\d +\[\{Origin: \?\}\]$/);
  assert.match(lines[2]!, /^\* {2}172\.17\.254\.1\/32 +172\.17\.0\.22 +64522 +00:0\d:\d\d +\[\{Origin: \?\}\]$/);
  assert.match(lines[3]!, /^\* {2}172\.17\.254\.1\/32 +172\.17\.0\.23 +64522 +00:0\d:\d\d +\[\{Origin: \?\}\]$/);
  assert.equal(lines.length, 4);
});

test('gobgp looks up an address (longest match), a neighbor Adj-RIB-In and the table summary', async () => {
  const lookup = await gobgp('global', 'rib', '172.17.254.1');
  assert.equal(lookup.stdout.trimEnd().split('\n').length, 4, lookup.stdout + lookup.stderr);
  const missing = await gobgp('global', 'rib', '10.1.2.3');
  assert.match(missing.stdout, /Network not in table/);
  const adjIn = await gobgp('neighbor', '172.17.0.22', 'adj-in');
  assert.equal(adjIn.code, 0, adjIn.stderr);
  const lines = adjIn.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^ {3}ID {2}Network/);
  assert.match(lines[1]!, /^ {3}0 {3}172\.17\.254\.1\/32 +172\.17\.0\.22 +64522 /);
  assert.equal(lines.length, 2);
  const summary = await gobgp('global', 'rib', 'summary');
  assert.match(summary.stdout, /Table afi:AFI_IP safi:SAFI_UNICAST\nDestination: 1, Path: 3/);
});

test('gobgp global rib add and del reach the backend', async () => {
  const add = await gobgp('global', 'rib', '-a', 'ipv4', 'add', '10.9.0.0/24', 'nexthop', '192.0.2.1');
  assert.equal(add.code, 0, add.stderr);
  const call = backend.calls.find((c) => c.op === 'addRoute');
  assert.ok(call !== undefined && call.op === 'addRoute');
  assert.equal(formatPrefix(call.route.prefix), '10.9.0.0/24');
  assert.equal(formatAddress(call.route.nextHop), '192.0.2.1');
  const rib = await gobgp('global', 'rib');
  assert.match(rib.stdout, /^\*> 10\.9\.0\.0\/24 +192\.0\.2\.1 +00:00:\d\d +\[\{Origin: [i?]\}\]$/m);
  const del = await gobgp('global', 'rib', '-a', 'ipv4', 'del', '10.9.0.0/24');
  assert.equal(del.code, 0, del.stderr);
  const removal = backend.calls.find((c) => c.op === 'deleteRoutes');
  assert.ok(removal !== undefined && removal.op === 'deleteRoutes');
  assert.equal(formatPrefix(removal.removal.prefix!), '10.9.0.0/24');
  assert.doesNotMatch((await gobgp('global', 'rib')).stdout, /10\.9\.0\.0/);
  // IPv6 travels in MP_REACH_NLRI (RFC 4760 3).
  const v6 = await gobgp('global', 'rib', '-a', 'ipv6', 'add', '2001:db8::/32', 'nexthop', '2001:db8::1');
  assert.equal(v6.code, 0, v6.stderr);
  const v6Call = backend.calls.filter((c) => c.op === 'addRoute').at(-1);
  assert.ok(v6Call !== undefined && v6Call.op === 'addRoute');
  assert.equal(formatPrefix(v6Call.route.prefix), '2001:db8::/32');
  assert.equal(formatAddress(v6Call.route.nextHop), '2001:db8::1');
  assert.match((await gobgp('global', 'rib', '-a', 'ipv6')).stdout, /^\*> 2001:db8::\/32 +2001:db8::1 /m);
});

test('gobgp monitor adj-in prints the routes as they arrive, and withdrawals', async () => {
  const watched = backend.nextWatch();
  const monitor = gobgpLines(['monitor', 'adj-in'], 4);
  try {
    const options = await watched;
    assert.ok(options.tables.has('adj-in'));
    const t = systemClock.wallNow();
    // The scenario's order: .23, .21, .22, then .22 withdrawn.
    const routes = ['172.17.0.23', '172.17.0.21', '172.17.0.22'].map((a) => scenarioRoute(a, t, false));
    backend.emitRoutes('adj-in', routes.slice(0, 2).map((route) => ({ route, isWithdraw: false })));
    backend.emitRoutes('adj-in', [{ route: routes[2]!, isWithdraw: false }]);
    backend.emitRoutes('adj-in', [{ route: routes[2]!, isWithdraw: true }]);
    const lines = await monitor.lines;
    const stamp = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ';
    assert.match(lines[0]!, new RegExp(`^${stamp} \\[ROUTE\\] 172\\.17\\.254\\.1/32 via 172\\.17\\.0\\.23 aspath \\[64522\\] attrs \\[\\{Origin: \\?\\}\\]$`));
    assert.match(lines[1]!, new RegExp(`^${stamp} \\[ROUTE\\] 172\\.17\\.254\\.1/32 via 172\\.17\\.0\\.21 aspath \\[64522\\] attrs \\[\\{Origin: \\?\\}\\]$`));
    assert.match(lines[2]!, new RegExp(`^${stamp} \\[ROUTE\\] 172\\.17\\.254\\.1/32 via 172\\.17\\.0\\.22 aspath \\[64522\\] attrs \\[\\{Origin: \\?\\}\\]$`));
    assert.match(lines[3]!, new RegExp(`^${stamp} \\[DELROUTE\\] 172\\.17\\.254\\.1/32 via 172\\.17\\.0\\.22 aspath \\[64522\\] `));
  } finally {
    monitor.stop();
  }
});

test('gobgp monitor adj-in --current dumps the Adj-RIBs-In first', async () => {
  const monitor = gobgpLines(['monitor', 'adj-in', '--current'], 3);
  try {
    const lines = await monitor.lines;
    const hops = lines.map((l) => /via (\S+)/.exec(l)?.[1]).sort();
    assert.deepEqual(hops, ['172.17.0.21', '172.17.0.22', '172.17.0.23']);
  } finally {
    monitor.stop();
  }
});

test('gobgp monitor global rib and monitor neighbor follow best paths and peer states', async () => {
  const watchedRib = backend.nextWatch();
  const rib = gobgpLines(['monitor', 'global', 'rib'], 1);
  try {
    assert.ok((await watchedRib).tables.has('best'));
    backend.emitRoutes('best', [{ route: scenarioRoute('172.17.0.22', systemClock.wallNow(), true), isWithdraw: false }]);
    assert.match((await rib.lines)[0]!, /\[ROUTE\] 172\.17\.254\.1\/32 via 172\.17\.0\.22 aspath \[64522\] attrs \[\{Origin: \?\}\]$/);
  } finally {
    rib.stop();
  }
  const watchedPeer = backend.nextWatch();
  const neighbor = gobgpLines(['monitor', 'neighbor', '172.17.0.22'], 1);
  try {
    assert.equal((await watchedPeer).peers, true);
    const peer = backend.peers.get('172.17.0.22')!;
    backend.emit({ kind: 'peer', peer: { ...peer, state: 'Idle', session: undefined, downSinceMs: systemClock.wallNow() } });
    assert.match((await neighbor.lines)[0]!, /\[NEIGH\] 172\.17\.0\.22 fsm: IDLE admin: UP$/);
  } finally {
    neighbor.stop();
  }
});

test('gobgp neighbor reset, softresetin/out, shutdown, disable, enable, add and del call the backend', async () => {
  const mark = backend.calls.length;
  for (const args of [
    ['neighbor', '172.17.0.23', 'reset', '--reason', 'maintenance window'],
    ['neighbor', '172.17.0.23', 'softresetin'],
    ['neighbor', '172.17.0.23', 'softresetout'],
    // gobgp 3.10 sends --reason with shutdown (deprecated) but not with disable.
    ['neighbor', '172.17.0.23', 'shutdown', '--reason', 'bye'],
    ['neighbor', '172.17.0.23', 'disable'],
    ['neighbor', '172.17.0.23', 'enable'],
    ['neighbor', 'add', '172.17.0.24', 'as', '64522'],
    ['neighbor', 'del', '172.17.0.24'],
  ]) {
    const r = await gobgp(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  assert.deepEqual(backend.calls.slice(mark), [
    { op: 'resetPeer', address: '172.17.0.23', communication: 'maintenance window' },
    { op: 'softResetPeer', address: '172.17.0.23', direction: 'in' },
    { op: 'softResetPeer', address: '172.17.0.23', direction: 'out' },
    { op: 'shutdownPeer', address: '172.17.0.23', communication: 'bye' },
    { op: 'disablePeer', address: '172.17.0.23', communication: '' },
    { op: 'enablePeer', address: '172.17.0.23' },
    { op: 'addPeer', config: { address: '172.17.0.24', peerAs: 64522 } },
    { op: 'deletePeer', address: '172.17.0.24' },
  ]);
});

test('gobgp prints Unimplemented for a method tsbgpd does not serve', async () => {
  const vrf = await gobgp('vrf');
  assert.notEqual(vrf.code, 0);
  assert.match(vrf.stdout + vrf.stderr, /code = Unimplemented desc = method ListVrf is not implemented by tsbgpd/);
});

test('gobgp gets INVALID_ARGUMENT naming the field', async () => {
  const r = await gobgp('neighbor', 'not-an-address');
  assert.match(r.stdout + r.stderr, /code = InvalidArgument desc = address: expected an IP address, got "not-an-address"/);
  const family = await gobgp('global', 'rib', '-a', 'evpn');
  assert.match(family.stdout + family.stderr, /InvalidArgument desc = family: /);
});
