// The tsbgpd binary as an operator runs it: --check, usage errors, signals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseDaemonArgs } from './main.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin/tsbgpd.js');

function runBin(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 15000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--check accepts the examples', () => {
  for (const file of ['examples/tsbgpd.toml', 'examples/tsbgpd.yaml']) {
    const r = runBin(['-f', join(root, file), '--check']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'configuration OK\n');
  }
});

test('--check rejects a bad file with FILE:LINE: KEY and exit 1, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbgpd-test-'));
  try {
    const file = join(dir, 'bad.toml');
    writeFileSync(file, '[global.config]\nas = 65001\nrouter-id = "10.0.0.1"\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "10.0.0.2"\npeer-as = 70000000000\n');
    const r = runBin(['-f', file, '--check']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `tsbgpd: ${file}:7: neighbors[0].config.peer-as: expected an AS number from 1 to 4294967295, got 70000000000\n`);
    const missing = runBin(['-f', join(dir, 'none.toml'), '--check']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^tsbgpd: .*none\.toml: cannot read the configuration file \(ENOENT\)\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2 with one line; --help lists options and signals', () => {
  const r = runBin(['--log-level', 'loud', '-f', 'x.toml']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /--log-level must be debug, info, warn or error/);
  assert.equal(runBin([]).status, 2);
  assert.equal(runBin(['-f', 'x.conf', '-t', 'json']).status, 2);
  const help = runBin(['--help']);
  assert.equal(help.status, 0);
  for (const word of ['--config-file', '--config-type', '--log-level', '--log-format', '--shutdown-message', '--allow-unsupported', '--check', '--version', '--api-hosts', '--api-tls-cert', '--api-tls-key', '--api-token-file', '--api-insecure', '--no-api', 'SIGHUP', 'SIGTERM']) {
    assert.ok(help.stdout.includes(word), `help mentions ${word}`);
  }
  assert.match(runBin(['-v']).stdout, /^tsbgpd \d+\.\d+\.\d+\n$/);
});

test('arguments: type from the extension, defaults', () => {
  const p = parseDaemonArgs(['-f', 'a.yml']);
  assert.equal(p.kind, 'run');
  if (p.kind !== 'run') return;
  assert.deepEqual(p.args, { configFile: 'a.yml', configType: 'yaml', logLevel: 'info', logFormat: 'text', shutdownMessage: 'tsbgpd shutting down', allowUnsupported: false, isCheck: false, api: { hosts: '127.0.0.1:50051', isInsecureAllowed: false } });
});

test('arguments: the API flags as gobgpd names them; --no-api; pairs and conflicts are usage errors', () => {
  const p = parseDaemonArgs(['-f', 'a.toml', '--api-hosts', '127.0.0.1:50052,[::1]:50052', '--api-tls-cert', 'c.pem', '--api-tls-key', 'k.pem', '--api-token-file', 't', '--api-insecure']);
  assert.ok(p.kind === 'run');
  assert.deepEqual(p.args.api, { hosts: '127.0.0.1:50052,[::1]:50052', tlsCertFile: 'c.pem', tlsKeyFile: 'k.pem', tokenFile: 't', isInsecureAllowed: true });
  const off = parseDaemonArgs(['-f', 'a.toml', '--no-api']);
  assert.ok(off.kind === 'run');
  assert.equal(off.args.api, undefined);
  assert.throws(() => parseDaemonArgs(['-f', 'a.toml', '--api-tls-cert', 'c.pem']), /--api-tls-cert and --api-tls-key go together/);
  assert.throws(() => parseDaemonArgs(['-f', 'a.toml', '--no-api', '--api-hosts', '127.0.0.1:1']), /--no-api conflicts with --api-hosts/);
  assert.throws(() => parseDaemonArgs(['-f', 'a.toml', '--api-hosts', 'localhost']), /expected "host:port"/);
});

test('the process reloads on SIGHUP, keeps running on a bad file, exits 0 on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbgpd-test-'));
  const file = join(dir, 'd.toml');
  writeFileSync(file, '[global.config]\nas = 65001\nrouter-id = "10.0.0.1"\nport = -1\n');
  const child = spawn(process.execPath, [bin, '-f', file, '--log-format', 'json', '--no-api'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitLog = async (msg: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 400; i++) {
      const found = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === msg);
      if (found !== undefined) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no "${msg}" in: ${stderr}`);
  };
  try {
    await waitLog('tsbgpd started');
    writeFileSync(file, '[global.config]\nas = 65001\nrouter-id = "10.0.0.1"\nport = -1\n[[originate]]\nprefix = "10.0.0.0/8"\n');
    child.kill('SIGHUP');
    const reloaded = await waitLog('config reloaded');
    assert.equal(reloaded['routesAdded'], 1);
    writeFileSync(file, '[global.config]\nas = 0\n');
    child.kill('SIGHUP');
    const failed = await waitLog('config reload failed');
    assert.match(String(failed['error']), /d\.toml:2: global\.config\.as: expected an AS number/);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await waitLog('tsbgpd stopped');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an API address in use: one line naming it, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbgpd-test-'));
  const server = createServer();
  try {
    const file = join(dir, 'd.toml');
    writeFileSync(file, '[global.config]\nas = 65001\nrouter-id = "10.0.0.1"\nport = -1\n');
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
    const r = runBin(['-f', file, '--api-hosts', `127.0.0.1:${port}`]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^tsbgpd: --api-hosts: cannot listen: .*address already in use 127\\.0\\.0\\.1:${port}`));
    const open = runBin(['-f', file, '--api-hosts', '192.0.2.1:50051']);
    assert.equal(open.status, 1);
    assert.match(open.stderr, /^tsbgpd: --api-hosts: 192\.0\.2\.1 is not a loopback address; listening there needs TLS and a token/);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
