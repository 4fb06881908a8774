// tsbgp's verbs that change something (global rib add/del, neighbor reset, softreset,
// shutdown, enable, disable) reach the backend with what gobgp's same verbs send; the
// policy listings print what gobgp prints; errors are one clear line with exit
// status 1 (server side) or 2 (usage); TLS and the token work.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../lib/clock.js';
import type { ApiServer } from '../api/server.js';
import type { FakeBackend, FakeCall } from '../api/fake-backend.js';
import { richBackend } from './testing/backends.js';
import { killAll, run, startServer, type Tool } from './testing/harness.js';

let backend: FakeBackend;
let server: ApiServer;
let port: number;

before(async () => {
  backend = richBackend(systemClock.wallNow());
  ({ server, port } = await startServer(backend));
});

after(async () => {
  killAll();
  await server.close();
});

/** The backend calls one run makes; it must succeed. */
async function callsOf(tool: Tool, args: readonly string[]): Promise<FakeCall[]> {
  const mark = backend.calls.length;
  const r = await run(tool, ['-p', String(port), ...args]);
  assert.equal(r.code, 0, `${tool} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return backend.calls.slice(mark);
}

/** Drops the uuid the backend made up for an added route. */
const comparable = (calls: readonly FakeCall[]): unknown[] => calls.map((c) => (c.op === 'addRoute' ? { op: c.op, route: c.route } : c));

test('global rib add and del send what gobgp sends', async () => {
  const pairs: [string[], string[]][] = [
    [
      ['global', 'rib', 'add', '10.60.0.0/24', 'nexthop', '192.0.2.1', 'origin', 'igp', 'aspath', '65001,{65002,65003}', 'med', '5', 'local-pref', '200', 'community', '65000:1,no-export'],
      ['global', 'rib', 'add', '10.60.0.0/24', 'nexthop', '192.0.2.1', 'origin', 'igp', 'aspath', '65001,{65002,65003}', 'med', '5', 'local-pref', '200', 'community', '65000:1,no-export'],
    ],
    [['global', 'rib', 'add', '10.61.0.0/24', 'nexthop', '192.0.2.1'], ['global', 'rib', 'add', '10.61.0.0/24', 'nexthop', '192.0.2.1']],
    [['global', 'rib', '-a', 'ipv6', 'add', '2001:db8:60::/48', 'nexthop', '2001:db8::1', 'origin', 'egp'], ['global', 'rib', 'add', '2001:db8:60::/48', 'nexthop', '2001:db8::1', 'origin', 'egp']],
    [['global', 'rib', 'del', '10.60.0.0/24'], ['global', 'rib', 'del', '10.60.0.0/24']],
    [['global', 'rib', '-a', 'ipv6', 'del', '2001:db8:60::/48'], ['global', 'rib', 'del', '2001:db8:60::/48']],
    [['global', 'rib', 'del', 'all'], ['global', 'rib', 'del', 'all']],
  ];
  for (const [g, t] of pairs) {
    const expected = comparable(await callsOf('gobgp', g));
    assert.equal(expected.length, 1, g.join(' '));
    assert.deepEqual(comparable(await callsOf('tsbgp', t)), expected, t.join(' '));
  }
  const add = await run('tsbgp', ['-p', String(port), '-j', 'global', 'rib', 'add', '10.62.0.0/24', 'nexthop', '192.0.2.9']);
  assert.match((JSON.parse(add.stdout) as { uuid: string }).uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const rib = await run('tsbgp', ['-p', String(port), 'global', 'rib', '10.62.0.0/24']);
  assert.match(rib.stdout, /^\*> 10\.62\.0\.0\/24 +192\.0\.2\.9 +\d\d:\d\d:\d\d +\[\{Origin: \?\}\]$/m);
});

test('neighbor verbs send what gobgp sends', async () => {
  const pairs: [string[], string[]][] = [
    [['neighbor', '172.17.0.23', 'reset', '--reason', 'maintenance window'], ['neighbor', '172.17.0.23', 'reset', '--reason', 'maintenance window']],
    [['neighbor', '172.17.0.23', 'softresetin'], ['neighbor', '172.17.0.23', 'softreset', 'in']],
    [['neighbor', '172.17.0.23', 'softresetout'], ['neighbor', '172.17.0.23', 'softresetout']],
    [['neighbor', '172.17.0.23', 'softreset'], ['neighbor', '172.17.0.23', 'softreset']],
    [['neighbor', '172.17.0.23', 'shutdown', '--reason', 'bye'], ['neighbor', '172.17.0.23', 'shutdown', '--reason', 'bye']],
    [['neighbor', '172.17.0.23', 'enable'], ['neighbor', '172.17.0.23', 'enable']],
    [['neighbor', '172.17.0.23', 'disable'], ['neighbor', '172.17.0.23', 'disable']],
  ];
  for (const [g, t] of pairs) {
    const expected = await callsOf('gobgp', g);
    assert.equal(expected.length, 1, g.join(' '));
    assert.deepEqual(await callsOf('tsbgp', t), expected, t.join(' '));
  }
  assert.deepEqual(await callsOf('tsbgp', ['neighbor', '172.17.0.23', 'disable', '--reason', 'moving racks']), [{ op: 'disablePeer', address: '172.17.0.23', communication: 'moving racks' }]);
  const j = await run('tsbgp', ['-p', String(port), '-j', 'neighbor', '172.17.0.23', 'enable']);
  assert.deepEqual(JSON.parse(j.stdout), {});
});

test('policy listings print what gobgp prints; the policy verbs change what gobgp then lists', async () => {
  const setup = [
    ['policy', 'prefix', 'add', 'p1', '10.0.0.0/8', '16..24'],
    ['policy', 'prefix', 'add', 'p1', '192.168.0.0/16'],
    ['policy', 'community', 'add', 'c1', '65000:100', '65000:.*'],
    ['policy', 'neighbor', 'add', 'n1', '172.17.0.21'],
    ['policy', 'statement', 'add', 's1'],
    ['policy', 'statement', 's1', 'add', 'condition', 'prefix', 'p1', 'invert'],
    ['policy', 'statement', 's1', 'add', 'condition', 'community', 'c1', 'all'],
    ['policy', 'statement', 's1', 'add', 'action', 'community', 'add', '65000:1', '65000:2'],
    ['policy', 'statement', 's1', 'add', 'action', 'as-prepend', '65000', '2'],
    ['policy', 'statement', 's1', 'add', 'action', 'next-hop', 'self'],
    ['policy', 'statement', 's1', 'add', 'action', 'reject'],
    ['policy', 'statement', 's2', 'add', 'condition', 'neighbor', 'n1'],
    ['policy', 'statement', 's2', 'add', 'action', 'med', 'add', '-5'],
    ['policy', 'add', 'pol1', 's1', 's2'],
    ['global', 'policy', 'import', 'add', 'pol1', 'default', 'reject'],
    ['neighbor', '172.17.0.21', 'policy', 'export', 'add', 'pol1'],
  ];
  for (const args of setup) await callsOf('gobgp', args);
  const listings = [
    ['policy'],
    ['policy', 'pol1'],
    ['policy', 'statement'],
    ['policy', 'statement', 's2'],
    ['policy', 'prefix'],
    ['policy', 'community', 'c1'],
    ['policy', 'neighbor'],
    ['global', 'policy'],
    ['global', 'policy', 'import'],
    ['neighbor', '172.17.0.21', 'policy'],
    ['neighbor', '172.17.0.21', 'policy', 'export'],
  ];
  for (const args of listings) {
    const theirs = await run('gobgp', ['-p', String(port), ...args]);
    const ours = await run('tsbgp', ['-p', String(port), ...args]);
    assert.equal(theirs.code, 0, `gobgp ${args.join(' ')}: ${theirs.stderr}`);
    assert.equal(ours.code, 0, `tsbgp ${args.join(' ')}: ${ours.stderr}`);
    assert.equal(ours.stdout, theirs.stdout, args.join(' '));
  }
  const json = JSON.parse((await run('tsbgp', ['-p', String(port), '-j', 'policy'])).stdout) as { name: string; statements: { name: string }[] }[];
  assert.deepEqual(json.map((p) => [p.name, p.statements.map((s) => s.name)]), [['pol1', ['s1', 's2']]]);

  // tsbgp's verbs, checked through gobgp's listings.
  const gobgpOut = async (args: string[]): Promise<string> => (await run('gobgp', ['-p', String(port), ...args])).stdout;
  await callsOf('tsbgp', ['policy', 'prefix', 'add', 'p2', '192.0.2.0/24', '24..32']);
  assert.equal(await gobgpOut(['policy', 'prefix', 'p2']), 'NAME  PREFIX\np2    192.0.2.0/24 24..32\n');
  await callsOf('tsbgp', ['policy', 'community', 'add', 'c2', 'no-export']);
  assert.equal(await gobgpOut(['policy', 'community', 'c2']), 'NAME  COMMUNITY\nc2    ^65535:65281$\n');
  await callsOf('tsbgp', ['global', 'policy', 'import', 'del', 'pol1']);
  assert.equal(await gobgpOut(['global', 'policy', 'import']), 'Import policy:\nDefault: REJECT\n');
  await callsOf('tsbgp', ['global', 'policy', 'import', 'set', 'pol1', 'default', 'accept']);
  assert.match(await gobgpOut(['global', 'policy', 'import']), /^Import policy:\nDefault: ACCEPT\nName pol1:\n/);
  await callsOf('tsbgp', ['policy', 'prefix', 'del', 'p2']);
  assert.equal(await gobgpOut(['policy', 'prefix', 'p2']), 'Nothing defined yet\n');
  for (const args of [['policy', 'prefix', 'p2'], ['policy', 'nosuch'], ['policy', 'statement', 'nosuch']]) {
    const theirs = await run('gobgp', ['-p', String(port), ...args]);
    const ours = await run('tsbgp', ['-p', String(port), ...args]);
    // The same words and status; tsbgp writes its error to stderr where gobgp uses stdout.
    assert.deepEqual([ours.code, ours.stdout + ours.stderr.replace(/^tsbgp: /, '')], [theirs.code, theirs.stdout + theirs.stderr], args.join(' '));
  }
  const refused = await run('tsbgp', ['-p', String(port), 'policy', 'prefix', 'del', 'p1']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^tsbgp: policy prefix del p1: .*defined set p1 is in use/);
});

test('errors: no server, unknown or idle neighbor (exit 1); bad prefix, bad option, bad verb (exit 2); never a stack trace', async () => {
  const cases: { args: string[]; code: number; err: RegExp }[] = [
    { args: ['-p', '1', 'global'], code: 1, err: /^tsbgp: cannot reach tsbgpd at 127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1\n$/ },
    { args: ['-p', '1', 'monitor', 'adj-in'], code: 1, err: /^tsbgp: cannot reach tsbgpd at 127\.0\.0\.1:1: connect ECONNREFUSED/ },
    { args: ['-p', String(port), 'neighbor', '10.9.9.9'], code: 1, err: /^tsbgp: no neighbor 10\.9\.9\.9 \(tsbgp neighbor lists them\)\n$/ },
    { args: ['-p', String(port), 'neighbor', '10.9.9.9', 'reset'], code: 1, err: /^tsbgp: no neighbor 10\.9\.9\.9/ },
    { args: ['-p', String(port), 'neighbor', '172.17.0.30', 'adj-in'], code: 1, err: /^tsbgp: neighbor 172\.17\.0\.30's BGP session is not established\n$/ },
    { args: ['-p', String(port), 'global', 'rib', 'bogus'], code: 2, err: /^tsbgp: expected a prefix or an address, got "bogus".*\nUsage: tsbgp global/ },
    { args: ['-p', String(port), 'global', 'rib', '10.0.0.0/33'], code: 2, err: /^tsbgp: expected a prefix or an address, got "10\.0\.0\.0\/33"/ },
    { args: ['-p', String(port), 'global', 'rib', '-a', 'ipv6', '10.0.0.0/8'], code: 2, err: /^tsbgp: "10\.0\.0\.0\/8" is not an ipv6 prefix or address\n/ },
    { args: ['-p', String(port), 'global', 'rib', 'add', '10.0.0.1/24', 'nexthop', '192.0.2.1'], code: 2, err: /^tsbgp: expected a prefix .*host bits set/ },
    { args: ['-p', String(port), 'global', 'rib', 'add', '10.0.0.0/24'], code: 2, err: /^tsbgp: add needs "nexthop ADDRESS"\n/ },
    { args: ['-p', String(port), 'global', 'rib', 'add', '10.0.0.0/24', 'nexthop', '192.0.2.1', 'community', '70000:1'], code: 2, err: /^tsbgp: community: expected AS:N/ },
    { args: ['-p', String(port), 'neighbor', 'not-an-address'], code: 2, err: /^tsbgp: neighbor: expected an IPv4 or IPv6 address, got "not-an-address"\nUsage: tsbgp neighbor/ },
    { args: ['-p', String(port), 'neighbor', '172.17.0.21', 'bogus'], code: 2, err: /^tsbgp: unknown neighbor subcommand "bogus"\n/ },
    { args: ['-p', String(port), 'global', '--current'], code: 2, err: /^tsbgp: --current is not an option of "global"\n/ },
    { args: ['--port', '99999', 'global'], code: 2, err: /^tsbgp: --port: expected 1 to 65535, got "99999"\n/ },
    { args: ['-a', 'evpn', 'global', 'rib'], code: 2, err: /^tsbgp: --address-family: expected ipv4 or ipv6, got "evpn"\n/ },
    { args: ['--bogus'], code: 2, err: /^tsbgp: Unknown option '--bogus'\n/ },
    { args: ['monitor', 'adj-out'], code: 2, err: /^tsbgp: unknown monitor target "adj-out"\nUsage: tsbgp monitor/ },
  ];
  // A few at a time: a loaded machine starts node slowly.
  for (let i = 0; i < cases.length; i += 4) {
    await Promise.all(
      cases.slice(i, i + 4).map(async ({ args, code, err }) => {
        const r = await run('tsbgp', args);
        assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, err, args.join(' '));
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
        assert.equal(r.stdout, '');
      }),
    );
  }
});

async function selfSigned(dir: string): Promise<{ cert: Buffer; key: Buffer; certPath: string }> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=tsbgp-test', '-addext', 'subjectAltName=IP:127.0.0.1'];
  await new Promise<void>((resolve, reject) => execFile('openssl', args, { timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  return { cert: await readFile(certPath), key: await readFile(keyPath), certPath };
}

test('--tls-ca-file and --token / --token-file reach a server that asks for both', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tsbgp-cli-'));
  const { cert, key, certPath } = await selfSigned(dir);
  const tokenPath = join(dir, 'token');
  await writeFile(tokenPath, 's3cret\n');
  const { server: strict, port: strictPort } = await startServer(backend, { tls: { certChain: cert, privateKey: key }, token: 's3cret', isTokenRequiredLocally: true });
  try {
    const p = String(strictPort);
    const ok = await run('tsbgp', ['-p', p, '--tls-ca-file', certPath, '--token', 's3cret', 'global']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^AS: +64512$/m);
    const fromFile = await run('tsbgp', ['-p', p, '--tls', '--tls-ca-file', certPath, '--token-file', tokenPath, 'neighbor']);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const noToken = await run('tsbgp', ['-p', p, '--tls-ca-file', certPath, 'global']);
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /^tsbgp: global: refused by the server \(UNAUTHENTICATED: a valid token is required.*\); give --token or --token-file\n$/);
    const plain = await run('tsbgp', ['-p', p, '--token', 's3cret', 'global']);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^tsbgp: cannot reach tsbgpd at 127\.0\.0\.1:\d+: /);
    const missing = await run('tsbgp', ['-p', p, '--tls-ca-file', join(dir, 'nope.pem'), 'global']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^tsbgp: --tls-ca-file: cannot read .*nope\.pem: ENOENT\n/);
  } finally {
    await strict.close();
    await rm(dir, { recursive: true, force: true });
  }
});
