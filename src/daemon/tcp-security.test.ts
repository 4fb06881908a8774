import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { parseConfig } from './config.js';
import { collector, waitFor } from './testing.js';
import { md5Entries, needsTcpOptions, tcpSecurityOf, TcpSecurityWiring } from './tcp-security.js';
import { listen } from '../session/listener.js';
import { securedTcpConnector, tcpConnector, type Transport } from '../session/transport.js';
import { fdOf, readTtlOptions } from '../session/tcp-options.js';

const base = '[global.config]\nas = 64512\nrouter-id = "10.0.0.1"\n';
const group = (name: string, lines: string): string => `[[peer-groups]]\n[peer-groups.config]\npeer-group-name = "${name}"\npeer-as = 65009\n${lines}`;
const neighbor = (address: string, lines = ''): string => `[[neighbors]]\n[neighbors.config]\nneighbor-address = "${address}"\npeer-as = 65002\n${lines}`;

test('GTSM wins over ebgp-multihop; multihop without a TTL sends 255; nothing set is plain TCP', () => {
  const c = parseConfig(
    base +
      neighbor('10.0.0.2', 'auth-password = "k"\n[neighbors.ttl-security.config]\nenabled = true\nttl-min = 253\n[neighbors.ebgp-multihop.config]\nenabled = true\nmultihop-ttl = 3\n') +
      neighbor('10.0.0.3', '[neighbors.ebgp-multihop.config]\nenabled = true\n') +
      neighbor('10.0.0.4'),
    'toml',
    'f.conf',
  );
  assert.deepEqual(tcpSecurityOf(c.neighbors[0]!), { md5Key: 'k', ttl: 255, minTtl: 253 });
  assert.deepEqual(tcpSecurityOf(c.neighbors[1]!), { md5Key: undefined, ttl: 255 });
  assert.deepEqual(tcpSecurityOf(c.neighbors[2]!), { md5Key: undefined });
  assert.equal(needsTcpOptions(c), true);
  assert.equal(needsTcpOptions(parseConfig(base + neighbor('10.0.0.4'), 'toml', 'f.conf')), false);
});

test('listener keys: one per neighbor with a password, one per range whose group has one', () => {
  const c = parseConfig(
    base + group('g', 'auth-password = "rk"\n') + group('h', '') + neighbor('10.0.0.2', 'auth-password = "nk"\n') + neighbor('10.0.0.3') +
      '[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = "10.1.0.0/16"\npeer-group = "g"\n' +
      '[[dynamic-neighbors]]\n[dynamic-neighbors.config]\nprefix = "10.2.0.0/16"\npeer-group = "h"\n',
    'toml',
    'f.conf',
  );
  assert.deepEqual([...md5Entries(c, c.neighbors)], [
    ['10.1.0.0/16', { address: '10.1.0.0', prefixLength: 16, key: 'rk' }],
    ['10.0.0.2', { address: '10.0.0.2', key: 'nk' }],
  ]);
});

function outcome(t: Transport, waitMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      t.destroy();
      resolve('timeout');
    }, waitMs);
    t.on('connect', () => {
      clearTimeout(timer);
      t.destroy();
      resolve('connect');
    });
  });
}

test('the wiring keys the listener, follows a reload, and sets each accepted connection TTL options', async () => {
  const { logger, lines } = collector();
  const wiring = new TcpSecurityWiring(logger);
  const accepted: Transport[] = [];
  const l = await listen({ host: '127.0.0.1', port: 0 }, (t) => accepted.push(t));
  try {
    const gtsm = '[neighbors.ttl-security.config]\nenabled = true\n';
    const first = parseConfig(base + neighbor('127.0.0.21', `auth-password = "one"\n${gtsm}`), 'toml', 'f.conf');
    wiring.addListener(l);
    wiring.sync(first, first.neighbors);
    // A GTSM peer gets our SYN-ACK at TTL 255 (RFC 5082 3).
    assert.equal(readTtlOptions(l.fd!()!).ttl, 255);
    const port = l.address().port;
    const dial = (key: string | undefined, ttl = 255): Promise<string> => outcome(securedTcpConnector({ md5Key: key, ttl })({ host: '127.0.0.1', port, localAddress: '127.0.0.21' }));
    assert.equal(await dial(undefined), 'timeout');
    assert.equal(await dial('one'), 'connect');
    await waitFor('the first connection accepted', () => accepted.length >= 1);
    assert.equal(wiring.applyAccepted(accepted[0]!, first.neighbors[0]!), true);
    assert.deepEqual(readTtlOptions(fdOf(accepted[0] as Socket)!), { ttl: 255, minTtl: 255 });

    const second = parseConfig(base + neighbor('127.0.0.21', 'auth-password = "two"\n'), 'toml', 'f.conf');
    wiring.sync(second, second.neighbors);
    assert.equal(await dial('one'), 'timeout');
    assert.equal(await dial('two'), 'connect');
    // No GTSM neighbor left: the listener and a plain accepted connection are back at the default TTL.
    assert.equal(readTtlOptions(l.fd!()!).ttl, 64);
    await waitFor('the second connection accepted', () => accepted.length >= 2);
    assert.equal(wiring.applyAccepted(accepted[1]!, second.neighbors[0]!), true);
    assert.deepEqual(readTtlOptions(fdOf(accepted[1] as Socket)!), { ttl: 64, minTtl: 0 });

    const third = parseConfig(base + neighbor('127.0.0.21'), 'toml', 'f.conf');
    wiring.sync(third, third.neighbors);
    assert.equal(await outcome(tcpConnector({ host: '127.0.0.1', port, localAddress: '127.0.0.21' })), 'connect');
    assert.equal(wiring.connectorFor(third.neighbors[0]!, tcpConnector), tcpConnector);
    assert.deepEqual(lines.filter((x) => x.level === 'error'), []);
  } finally {
    for (const t of accepted) t.destroy();
    await l.close();
  }
});
