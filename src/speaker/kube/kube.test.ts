// The Kubernetes layer against a local HTTP server that speaks the API's list, watch,
// discovery, status and event endpoints and replays a list/watch sequence: the store
// it fills drives the same controller and announcer as file mode.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { systemClock } from '../../lib/clock.js';
import { silentLogger } from '../../lib/logger.js';
import { desiredAnnouncements } from '../announcer.js';
import { ResourceStore } from '../store.js';
import { KubeController } from './controller.js';
import { KubeStatusWriter } from './status.js';
import { KubeSource } from './watch.js';
import { discovery, lists, watches } from './fixtures/list-watch.js';

type Json = Record<string, unknown>;

/** The fake API server: state per collection, open watches, what was written. */
class FakeApi {
  readonly server: Server;
  readonly objects = new Map<string, Map<string, Json>>();
  readonly streams = new Map<string, ServerResponse[]>();
  readonly statusWrites: { service: string; ingress: string[] }[] = [];
  readonly events: Json[] = [];
  private rv = 1000;

  constructor() {
    for (const [path, list] of Object.entries(lists)) {
      this.objects.set(path, new Map(list.items.map((o) => [keyOf(o as Json), o as Json])));
    }
    this.server = createServer((req, res) => this.handle(req, res));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Sends the recorded watch events, as the API server would after the list. */
  play(): void {
    for (const [path, events] of Object.entries(watches)) for (const e of events) this.emit(path, e.type, e.object);
  }

  private emit(path: string, type: string, object: Json): void {
    const store = this.objects.get(path)!;
    if (type === 'DELETED') store.delete(keyOf(object));
    else store.set(keyOf(object), object);
    for (const res of this.streams.get(path) ?? []) res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (discovery[path] !== undefined) {
      json(200, { kind: 'APIResourceList', groupVersion: path.replace(/^\/apis?\//, ''), resources: discovery[path]!.map((r) => ({ ...r, singularName: '', verbs: ['list', 'watch'] })) });
      return;
    }
    const list = lists[path];
    if (list !== undefined && req.method === 'GET') {
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        const open = this.streams.get(path) ?? [];
        open.push(res);
        this.streams.set(path, open);
        return;
      }
      json(200, { apiVersion: 'v1', kind: list.kind, metadata: { resourceVersion: list.resourceVersion }, items: [...this.objects.get(path)!.values()] });
      return;
    }
    const status = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/status$/.exec(path);
    if (status !== null) {
      const key = `${status[1]}/${status[2]}`;
      const svc = this.objects.get('/api/v1/services')!.get(key);
      if (svc === undefined) return json(404, { kind: 'Status', code: 404 });
      if (req.method === 'GET') return json(200, { apiVersion: 'v1', kind: 'Service', ...svc });
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const sent = JSON.parse(body) as Json & { status?: { loadBalancer?: { ingress?: { ip: string }[] } } };
        this.statusWrites.push({ service: key, ingress: (sent.status?.loadBalancer?.ingress ?? []).map((i) => i.ip) });
        const next = { ...svc, metadata: { ...(svc['metadata'] as Json), resourceVersion: String(++this.rv) }, status: sent.status };
        json(200, { apiVersion: 'v1', kind: 'Service', ...next });
        this.emit('/api/v1/services', 'MODIFIED', { apiVersion: 'v1', kind: 'Service', ...next });
      });
      return;
    }
    if (req.method === 'POST' && /^\/api\/v1\/namespaces\/[^/]+\/events$/.test(path)) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.events.push(JSON.parse(body) as Json);
        json(201, JSON.parse(body));
      });
      return;
    }
    json(404, { kind: 'Status', code: 404, message: `no route ${req.method} ${path}` });
  }

  close(): Promise<void> {
    for (const open of this.streams.values()) for (const res of open) res.end();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function keyOf(o: Json): string {
  const m = o['metadata'] as { name: string; namespace?: string };
  return m.namespace === undefined ? m.name : `${m.namespace}/${m.name}`;
}

/** Polls `check` every 20 ms for at most 5 s. */
async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const api = new FakeApi();
let source: KubeSource;
let controller: KubeController;
const store = new ResourceStore();

before(async () => {
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: `http://127.0.0.1:${api.port}`, skipTLSVerify: true }],
    users: [{ name: 'test' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  const deps = { clock: systemClock, logger: silentLogger };
  controller = new KubeController(store, new KubeStatusWriter(kc), deps);
  source = new KubeSource(kc, store, deps);
  await source.start();
});

after(async () => {
  await source.close();
  await controller.close();
  await api.close();
});

const routesOf = (node: string): string[] => {
  const r = desiredAnnouncements(store.snapshot(), node);
  return [...(r.peers.get('metallb-system/rt-01')?.routes.keys() ?? [])];
};

test('the list fills the store, the controller writes the first free address to the Service status', async () => {
  await eventually('nginx status written', () => api.statusWrites.length > 0);
  assert.deepEqual(api.statusWrites[0], { service: 'default/nginx', ingress: ['172.17.254.1'] });
  // The write comes back through the watch as the Service's status.
  await eventually('nginx ingress in the store', () => store.snapshot().services.some((s) => s.meta.name === 'nginx' && s.ingress.includes('172.17.254.1')));
  assert.deepEqual(routesOf('k8s-node-01'), ['172.17.254.1/32']);
  assert.deepEqual(routesOf('k8s-node-02'), ['172.17.254.1/32']);
  // externalTrafficPolicy Local and no endpoint on node 3: it does not announce.
  assert.deepEqual(routesOf('k8s-node-03'), []);
  const route = desiredAnnouncements(store.snapshot(), 'k8s-node-01').peers.get('metallb-system/rt-01')!.routes.get('172.17.254.1/32')!;
  assert.deepEqual(route.communities, [64512 * 65536 + 100]);
});

test('watch events move endpoints, refuse a taken address with an Event, and withdraw a cordoned node', async () => {
  api.play();
  await eventually('node 3 announces', () => routesOf('k8s-node-03').length === 1);
  await eventually('event for web', () => api.events.length > 0);
  const event = api.events[0] as { reason: string; message: string; involvedObject: { name: string; kind: string }; type: string };
  assert.equal(event.involvedObject.kind, 'Service');
  assert.equal(event.involvedObject.name, 'web');
  assert.equal(event.type, 'Warning');
  assert.match(event.message, /172\.17\.254\.1/);
  await eventually('node 2 withdrawn', () => desiredAnnouncements(store.snapshot(), 'k8s-node-02').isNodeWithdrawn);
  // nginx kept its address: nothing rewrote it, and web got none.
  assert.ok(api.statusWrites.every((w) => w.service !== 'default/nginx' || w.ingress[0] === '172.17.254.1'));
  assert.ok(!api.statusWrites.some((w) => w.service === 'default/web' && w.ingress.length > 0));
});

test('a restarted controller finds the assignment in the status and writes nothing', async () => {
  const writes = api.statusWrites.length;
  const fresh = new KubeController(store, { writeIngress: async () => assert.fail('no write expected'), recordEvent: async () => undefined }, { clock: systemClock, logger: silentLogger });
  await fresh.round();
  await fresh.close();
  assert.equal(api.statusWrites.length, writes);
});

test('tsbgp controller --kube --kubeconfig FILE writes the status through the API and exits 0 on SIGTERM', async () => {
  const own = new FakeApi();
  await new Promise<void>((resolve) => own.server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'tsbgp-kube-'));
  const kubeconfig = join(dir, 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{ name: t, cluster: { server: "http://127.0.0.1:${own.port}", insecure-skip-tls-verify: true } }]\nusers: [{ name: t, user: {} }]\ncontexts: [{ name: t, context: { cluster: t, user: t } }]\ncurrent-context: t\n`,
  );
  const bin = fileURLToPath(new URL('../../../../bin/tsbgp.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'controller', '--kube', '--kubeconfig', kubeconfig, '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await eventually('status written by the CLI', () => own.statusWrites.length > 0).catch((err: Error) => assert.fail(`${err.message}; its output:\n${output}`));
    assert.deepEqual(own.statusWrites[0], { service: 'default/nginx', ingress: ['172.17.254.1'] });
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 5000))]);
    assert.equal(code, 0, output);
    assert.match(output, /controller started/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await own.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
