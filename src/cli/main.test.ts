import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli, exitDataError, exitOk, exitUsage, type CliIo } from './main.js';
import { keepaliveHex, updateHex } from './fixtures/messages.js';

const bin = fileURLToPath(new URL('../../../bin/tsbgp.js', import.meta.url));

async function run(argv: readonly string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), readStdin: async () => stdin };
  const code = await runCli(argv, io);
  return { code, out, err };
}

test('decode prints a KEEPALIVE and an UPDATE as JSON', async () => {
  const r = await run(['decode', keepaliveHex, updateHex]);
  assert.equal(r.code, exitOk);
  assert.equal(r.err, '');
  const [k, u] = r.out.trim().split('\n').map((l) => JSON.parse(l) as unknown);
  assert.deepEqual(k, { type: 'keepalive' });
  assert.deepEqual(u, {
    type: 'update',
    withdrawn: [],
    attributes: { origin: 'igp', asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1' },
    nlri: ['172.17.254.1/32'],
  });
});

test('decode reads a stream of concatenated messages from stdin', async () => {
  const stream = `${keepaliveHex}\n${updateHex.slice(0, 20)}\n${updateHex.slice(20)}${keepaliveHex}`;
  const r = await run(['decode', '-'], stream);
  assert.equal(r.code, exitOk);
  assert.deepEqual(r.out.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type), ['keepalive', 'update', 'keepalive']);
});

test('with --as2 the AS path is read with 2-octet AS numbers', async () => {
  // The same UPDATE read as 2-octet: the 6-octet AS_PATH holds AS 0 and 65001 plus a stray octet pair.
  const r = await run(['decode', '--as2', updateHex]);
  assert.notEqual(r.out, (await run(['decode', updateHex])).out);
});

test('bad input and bad usage give one line and exit 1 or 2', async () => {
  const bad = await run(['decode', 'zz']);
  assert.equal(bad.code, exitDataError);
  assert.match(bad.err, /^tsbgp: argument 1 is not hex\n$/);
  const marker = await run(['decode', '00'.repeat(19)]);
  assert.equal(marker.code, exitDataError);
  assert.match(marker.err, /^tsbgp: message 1 \(argument 1\): Message Header Error \/ Connection Not Synchronized/);
  const short = await run(['decode', updateHex.slice(0, 50)]);
  assert.equal(short.code, exitDataError);
  assert.match(short.err, /ends inside a message/);
  assert.equal((await run(['decode'])).code, exitUsage);
  assert.equal((await run(['decode', '--bogus', keepaliveHex])).code, exitUsage);
  const unknown = await run(['frobnicate']);
  assert.equal(unknown.code, exitUsage);
  assert.equal(unknown.err, 'tsbgp: unknown command "frobnicate"\nRun "tsbgp --help" for the commands.\n');
  const option = await run(['decode', '--current', keepaliveHex]);
  assert.equal(option.code, exitUsage);
  assert.match(option.err, /^tsbgp: --current is not an option of "decode"\nUsage: tsbgp decode /);
});

test('help lists every command, and each command has its own', async () => {
  const r = await run(['--help']);
  assert.equal(r.code, exitOk);
  for (const line of [/^ {2}global /m, /^ {2}global rib add PREFIX nexthop ADDRESS/m, /^ {2}neighbor ADDRESS adj-in\|adj-out\|local/m, /^ {2}neighbor ADDRESS reset\|softreset/m, /^ {2}monitor adj-in/m, /^ {2}monitor global rib/m, /^ {2}monitor neighbor/m, /^ {2}policy /m, /^ {2}decode /m, /^ {2}version /m]) {
    assert.match(r.out, line);
  }
  for (const option of ['--host', '--port', '--address-family', '--json', '--tls', '--tls-ca-file', '--tls-cert-file', '--token', '--token-file']) assert.ok(r.out.includes(option), option);
  assert.equal((await run([])).code, exitUsage);
  for (const command of ['global', 'neighbor', 'monitor', 'policy', 'decode']) {
    const own = await run([command, '--help']);
    assert.equal(own.code, exitOk, command);
    assert.match(own.out, new RegExp(`^Usage: tsbgp ${command}`));
    assert.equal((await run(['help', command])).out, own.out);
  }
  assert.match((await run(['policy', '--help'])).out, /Changes take effect at once/);
});

test('bin/tsbgp.js runs: version, and decode from stdin', () => {
  const v = spawnSync(process.execPath, [bin, 'version'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^tsbgp \d+\.\d+\.\d+\n$/);
  const d = spawnSync(process.execPath, [bin, 'decode', '-'], { input: keepaliveHex, encoding: 'utf8', timeout: 10000 });
  assert.equal(d.status, 0);
  assert.equal(d.stdout, '{"type":"keepalive"}\n');
});
