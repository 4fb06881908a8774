// The typed client against the server over the scenario's FakeBackend: every served
// method, the error statuses, TLS and the token, and the listening policy.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parsePrefix } from '../lib/address.js';
import { systemClock } from '../lib/clock.js';
import { ApiClient } from './client.js';
import { ApiConfigError, ApiServer, checkListenPolicy, isLoopbackHost, parseApiHosts } from './server.js';
import { scenarioBackend, type FakeBackend } from './fake-backend.js';
import type { ApiBackend } from './backend.js';
import { packAny, prefixToAny } from './convert.js';
import { LookupType, PeerEventType, SessionState, TableType, WatchFilterType, type WatchEventResponse } from './apipb.js';

const ipv4 = { afi: 1, safi: 1 };
let backend: FakeBackend;
let server: ApiServer;
let client: ApiClient;

before(async () => {
  backend = scenarioBackend(systemClock.wallNow());
  server = await ApiServer.start(backend, { hosts: '127.0.0.1:0' });
  client = new ApiClient({ target: `127.0.0.1:${server.endpoints[0]!.port}`, timeoutMs: 5000 });
});

after(async () => {
  client.close();
  await server.close();
});

async function rejection(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  assert.fail('expected the call to fail');
}

function routePath(prefix: string, nextHop: string): { nlri: ReturnType<typeof prefixToAny>; pattrs: ReturnType<typeof packAny>[]; family: typeof ipv4 } {
  return { nlri: prefixToAny(parsePrefix(prefix)), pattrs: [packAny('OriginAttribute', { origin: 0 }), packAny('NextHopAttribute', { next_hop: nextHop })], family: ipv4 };
}

test('GetBgp answers the speaker settings', async () => {
  const { global } = await client.getBgp();
  assert.equal(global?.asn, 64512);
  assert.equal(global?.router_id, '172.17.0.1');
  assert.equal(global?.listen_port, 179);
  assert.deepEqual(global?.families, [65537]);
  assert.equal(global?.use_multiple_paths, true);
});

test('ListPeer fills the nested parts gobgp reads', async () => {
  const peers = await client.listPeer();
  assert.deepEqual(
    peers.map((p) => p.conf?.neighbor_address),
    ['172.17.0.21', '172.17.0.22', '172.17.0.23'],
  );
  const p = peers[0]!;
  assert.equal(p.state?.session_state, SessionState.established);
  assert.equal(p.state?.peer_asn, 64522);
  assert.equal(p.state?.router_id, '172.17.0.21');
  assert.equal(p.state?.messages?.received?.keepalive, 120);
  assert.equal(p.state?.local_cap?.length, 3);
  assert.equal(p.timers?.state?.negotiated_hold_time, 90);
  assert.ok((p.timers?.state?.uptime?.seconds ?? 0) > 0);
  assert.deepEqual(p.afi_safis?.[0]?.state, { family: ipv4, enabled: true, received: 1, accepted: 1, advertised: 0 });
  assert.equal(p.transport?.local_address, '172.17.0.1');
  assert.deepEqual(await client.listPeer({ address: '172.17.0.99' }), []);
  const bad = await rejection(client.listPeer({ address: 'nope' }));
  assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
  assert.match(bad.details, /^address: /);
});

test('ListPath gives best and multipath flags and honours prefix filters', async () => {
  const all = await client.listPath({ table_type: TableType.global, family: ipv4 });
  assert.equal(all.length, 1);
  assert.equal(all[0]!.prefix, '172.17.254.1/32');
  assert.deepEqual(all[0]!.paths!.map((p) => [p.neighbor_ip, p.best, p.multipath]), [
    ['172.17.0.21', true, true],
    ['172.17.0.22', false, true],
    ['172.17.0.23', false, true],
  ]);
  const count = async (prefix: string, type: number): Promise<number> => (await client.listPath({ family: ipv4, prefixes: [{ prefix, type }] })).length;
  assert.equal(await count('172.17.0.0/16', LookupType.longer), 1);
  assert.equal(await count('172.17.254.0/24', LookupType.exact), 0);
  assert.equal(await count('172.17.254.1/32', LookupType.exact), 1);
  assert.equal(await count('172.17.254.1/32', LookupType.shorter), 1);
  assert.equal(await count('10.0.0.0/8', LookupType.longer), 0);
  const adjIn = await client.listPath({ table_type: TableType.adjIn, name: '172.17.0.23', family: ipv4 });
  assert.deepEqual(adjIn[0]!.paths!.map((p) => p.neighbor_ip), ['172.17.0.23']);
  const binary = await client.listPath({ family: ipv4, enable_only_binary: true });
  assert.equal(binary[0]!.paths![0]!.nlri, null);
  assert.equal(Buffer.from(binary[0]!.paths![0]!.nlri_binary!).toString('hex'), '20ac11fe01');
});

test('ListPath and GetTable refuse bad requests naming the field', async () => {
  const noName = await rejection(client.listPath({ table_type: TableType.adjIn, family: ipv4 }));
  assert.equal(noName.code, grpc.status.INVALID_ARGUMENT);
  assert.match(noName.details, /^name: /);
  const vrf = await rejection(client.listPath({ table_type: TableType.vrf, family: ipv4 }));
  assert.match(vrf.details, /^table_type: /);
  const prefix = await rejection(client.listPath({ family: ipv4, prefixes: [{ prefix: '10.0.0.0/99' }] }));
  assert.match(prefix.details, /^prefixes\[0\]\.prefix: /);
  const unknownPeer = await rejection(client.getTable({ table_type: TableType.adjIn, name: '10.9.9.9', family: ipv4 }));
  assert.equal(unknownPeer.code, grpc.status.NOT_FOUND);
});

test('GetTable counts destinations, paths and accepted paths', async () => {
  assert.deepEqual(await client.getTable({ family: ipv4 }), { num_destination: 1, num_path: 3, num_accepted: 3 });
  assert.deepEqual(await client.getTable({ table_type: TableType.adjIn, name: '172.17.0.21', family: ipv4 }), { num_destination: 1, num_path: 1, num_accepted: 1 });
});

test('AddPath returns a uuid that DeletePath takes; AddPathStream adds each path', async () => {
  const { uuid } = await client.addPath({ table_type: TableType.global, path: routePath('10.20.0.0/16', '192.0.2.7') });
  assert.equal(uuid?.length, 16);
  const listed = await client.listPath({ family: ipv4, prefixes: [{ prefix: '10.20.0.0/16' }] });
  assert.deepEqual(Buffer.from(listed[0]!.paths![0]!.uuid!), Buffer.from(uuid!));
  await client.deletePath({ table_type: TableType.global, family: ipv4, uuid });
  assert.deepEqual(await client.listPath({ family: ipv4, prefixes: [{ prefix: '10.20.0.0/16' }] }), []);
  const mark = backend.calls.length;
  await client.addPathStream([{ paths: [routePath('10.30.0.0/16', '192.0.2.8'), routePath('10.31.0.0/16', '192.0.2.8')] }]);
  assert.deepEqual(
    backend.calls.slice(mark).map((c) => (c.op === 'addRoute' ? `${c.op} ${c.route.prefix.length}` : c.op)),
    ['addRoute 16', 'addRoute 16'],
  );
  await client.deletePath({ family: ipv4 });
  assert.equal((await client.listPath({ family: ipv4 })).length, 1);
  const noHop = await rejection(client.addPath({ path: { nlri: prefixToAny(parsePrefix('10.40.0.0/16')), pattrs: [] } }));
  assert.equal(noHop.code, grpc.status.INVALID_ARGUMENT);
  assert.match(noHop.details, /^path\.pattrs: /);
});

test('WatchEvent sends the initial state, then events, until the client cancels', async () => {
  const events: WatchEventResponse[] = [];
  let notify: () => void = () => undefined;
  const arrived = (n: number): Promise<void> =>
    new Promise((resolve) => {
      notify = () => {
        if (events.length >= n) resolve();
      };
      notify();
    });
  const watched = backend.nextWatch();
  const watch = client.watchEvent({ peer: {}, table: { filters: [{ type: WatchFilterType.best, init: true }] } }, (e) => {
    events.push(e);
    notify();
  });
  const options = await watched;
  assert.equal(options.peers, true);
  assert.ok(options.tables.has('best'));
  // Three INIT peers, END_OF_INIT, then the best path and its multipath set.
  await arrived(5);
  assert.deepEqual(
    events.slice(0, 4).map((e) => e.peer?.type),
    [PeerEventType.init, PeerEventType.init, PeerEventType.init, PeerEventType.endOfInit],
  );
  assert.equal(events[4]!.table?.paths?.length, 3);
  backend.emit({ kind: 'peer', peer: { ...backend.peers.get('172.17.0.21')!, state: 'Active' } });
  await arrived(6);
  assert.equal(events[5]!.event, 'peer');
  assert.equal(events[5]!.peer?.type, PeerEventType.state);
  assert.equal(events[5]!.peer?.peer?.state?.session_state, SessionState.active);
  const gone = backend.nextUnwatch();
  watch.cancel();
  await watch.done;
  await gone;
  assert.equal(backend.watcherCount, 0);
  const nothing = await rejection(new Promise((resolve, reject) => client.watchEvent({}, () => undefined).done.then(resolve, reject)));
  assert.equal(nothing.code, grpc.status.INVALID_ARGUMENT);
});

test('a watch whose client falls behind is ended with RESOURCE_EXHAUSTED', async () => {
  const b = scenarioBackend(systemClock.wallNow());
  const s = await ApiServer.start(b, { hosts: '127.0.0.1:0', watchQueueLimit: 4 });
  const c = new ApiClient({ target: `127.0.0.1:${s.endpoints[0]!.port}` });
  try {
    const watched = b.nextWatch();
    const watch = c.watchEvent({ peer: {} }, () => undefined);
    await watched;
    const gone = b.nextUnwatch();
    const peer = b.peers.get('172.17.0.21')!;
    // All in one tick: nothing can drain in between.
    for (let i = 0; i < 100; i++) b.emit({ kind: 'peer', peer });
    const err = await rejection(watch.done);
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
    await gone;
    assert.equal(b.watcherCount, 0);
  } finally {
    c.close();
    await s.close();
  }
});

test('peer operations map to the backend with the communication', async () => {
  const mark = backend.calls.length;
  await client.resetPeer({ address: '172.17.0.22', communication: 'new software' });
  await client.shutdownPeer({ address: '172.17.0.22', communication: 'maintenance' });
  await client.enablePeer({ address: '172.17.0.22' });
  await client.disablePeer({ address: '172.17.0.22', communication: 'done' });
  await client.enablePeer({ address: '172.17.0.22' });
  assert.deepEqual(backend.calls.slice(mark), [
    { op: 'resetPeer', address: '172.17.0.22', communication: 'new software' },
    { op: 'shutdownPeer', address: '172.17.0.22', communication: 'maintenance' },
    { op: 'enablePeer', address: '172.17.0.22' },
    { op: 'disablePeer', address: '172.17.0.22', communication: 'done' },
    { op: 'enablePeer', address: '172.17.0.22' },
  ]);
  const long = await rejection(client.shutdownPeer({ address: '172.17.0.22', communication: 'x'.repeat(256) }));
  assert.equal(long.code, grpc.status.INVALID_ARGUMENT);
  assert.match(long.details, /^communication: expected at most 255 octets/);
  const missing = await rejection(client.resetPeer({ address: '172.17.0.99' }));
  assert.equal(missing.code, grpc.status.NOT_FOUND);
  const bad = await rejection(client.addPeer({ peer: { conf: { neighbor_address: '172.17.0.30' } } }));
  assert.match(bad.details, /^peer\.conf\.peer_asn: /);
});

test('methods the backend lacks answer UNIMPLEMENTED with the method name', async () => {
  const minimal: ApiBackend = {
    getGlobal: () => undefined,
    listPeers: () => [],
    listRoutes: () => [],
    tableCounts: () => ({ destinations: 0, paths: 0 }),
    watch: () => () => undefined,
  };
  const bare = await ApiServer.start(minimal, { hosts: '127.0.0.1:0' });
  const c = new ApiClient({ target: `127.0.0.1:${bare.endpoints[0]!.port}`, timeoutMs: 5000 });
  try {
    const start = await rejection(c.startBgp({ global: { asn: 65000, router_id: '192.0.2.1' } }));
    assert.equal(start.code, grpc.status.UNIMPLEMENTED);
    assert.equal(start.details, 'method StartBgp is not implemented by tsbgpd');
    const add = await rejection(c.addPath({ path: routePath('10.0.0.0/8', '192.0.2.1') }));
    assert.equal(add.code, grpc.status.UNIMPLEMENTED);
    assert.match(add.details, /AddPath/);
    assert.deepEqual(await c.getBgp(), { global: { asn: 0, router_id: '', listen_port: 0, listen_addresses: [], families: [], use_multiple_paths: false, route_selection_options: null, default_route_distance: null, confederation: null, graceful_restart: null, apply_policy: null, bind_to_device: '' } });
  } finally {
    c.close();
    await bare.close();
  }
});

test('StartBgp and StopBgp reach the backend; a bad router ID is named', async () => {
  const b = scenarioBackend(systemClock.wallNow());
  b.global = undefined;
  const s = await ApiServer.start(b, { hosts: '127.0.0.1:0' });
  const c = new ApiClient({ target: `127.0.0.1:${s.endpoints[0]!.port}`, timeoutMs: 5000 });
  try {
    const bad = await rejection(c.startBgp({ global: { asn: 64512, router_id: '1.2.3' } }));
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.details, /^global\.router_id: /);
    await c.startBgp({ global: { asn: 64512, router_id: '172.17.0.1', listen_port: 1179 } });
    assert.equal((await c.getBgp()).global?.listen_port, 1179);
    await c.stopBgp();
    // The malformed request never reached the backend.
    assert.deepEqual(
      b.calls.map((x) => x.op),
      ['startBgp', 'stopBgp'],
    );
  } finally {
    c.close();
    await s.close();
  }
});

test('--api-hosts parsing and the loopback-only policy', () => {
  assert.deepEqual(parseApiHosts('127.0.0.1:50051,[::1]:50052'), [
    { host: '127.0.0.1', port: 50051 },
    { host: '::1', port: 50052 },
  ]);
  assert.throws(() => parseApiHosts('127.0.0.1'), ApiConfigError);
  assert.throws(() => parseApiHosts('[10.0.0.1]:5'), ApiConfigError);
  assert.throws(() => parseApiHosts('host:99999'), ApiConfigError);
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', 'localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '172.17.0.1', 'example.org']) assert.ok(!isLoopbackHost(h), h);
  const open = parseApiHosts('0.0.0.0:50051');
  assert.throws(() => checkListenPolicy(open, {}), /not a loopback address; listening there needs TLS and a token/);
  assert.throws(() => checkListenPolicy(open, { token: 'secret' }), ApiConfigError);
  const tls = { certChain: Buffer.from('c'), privateKey: Buffer.from('k') };
  assert.throws(() => checkListenPolicy(open, { tls }), ApiConfigError);
  checkListenPolicy(open, { tls, token: 'secret' });
  checkListenPolicy(open, { isInsecureAllowed: true });
  checkListenPolicy(parseApiHosts('127.0.0.1:1,[::1]:2'), {});
});

test('ApiServer.start refuses a non-loopback address without TLS and a token', async () => {
  await assert.rejects(ApiServer.start(backend, { hosts: '0.0.0.0:0' }), ApiConfigError);
});

/** A self-signed certificate for 127.0.0.1, made by openssl (bounded in time). */
async function selfSigned(dir: string): Promise<{ cert: Buffer; key: Buffer; certPath: string }> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=tsbgp-test', '-addext', 'subjectAltName=IP:127.0.0.1'];
  await new Promise<void>((resolve, reject) => execFile('openssl', args, { timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  return { cert: await readFile(certPath), key: await readFile(keyPath), certPath };
}

test('TLS with a token: the client needs both; gobgp --tls works from this host', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsbgp-api-'));
  try {
    const { cert, key, certPath } = await selfSigned(dir);
    const tls = { certChain: cert, privateKey: key };
    const strict = await ApiServer.start(backend, { hosts: '127.0.0.1:0', tls, token: 's3cret', isTokenRequiredLocally: true });
    const target = `127.0.0.1:${strict.endpoints[0]!.port}`;
    const clients = [
      new ApiClient({ target, tls: { rootCerts: cert }, token: 's3cret', timeoutMs: 5000 }),
      new ApiClient({ target, tls: { rootCerts: cert }, timeoutMs: 5000 }),
      new ApiClient({ target, tls: { rootCerts: cert }, token: 'wrong', timeoutMs: 5000 }),
      new ApiClient({ target, timeoutMs: 5000 }),
    ];
    try {
      assert.equal((await clients[0]!.getBgp()).global?.asn, 64512);
      assert.equal((await rejection(clients[1]!.getBgp())).code, grpc.status.UNAUTHENTICATED);
      assert.equal((await rejection(clients[2]!.listPeer())).code, grpc.status.UNAUTHENTICATED);
      assert.equal((await rejection(clients[3]!.getBgp())).code, grpc.status.UNAVAILABLE);
    } finally {
      for (const c of clients) c.close();
      await strict.close();
    }
    // By default callers on this host are trusted: the stock CLI (which has no token
    // option) works over TLS.
    const local = await ApiServer.start(backend, { hosts: '127.0.0.1:0', tls, token: 's3cret' });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('gobgp', ['-u', '127.0.0.1', '-p', String(local.endpoints[0]!.port), '--tls', '--tls-ca-file', certPath, 'global'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.on('data', (b: Buffer) => (text += b.toString()));
        child.stderr.on('data', (b: Buffer) => (text += b.toString()));
        const cancel = systemClock.after(10_000, () => {
          if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
          reject(new Error('gobgp --tls did not finish'));
        });
        child.on('close', () => {
          cancel();
          resolve(text);
        });
      });
      assert.match(out, /^AS:\s+64512$/m);
    } finally {
      await local.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
