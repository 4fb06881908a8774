import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { listen, type Listener } from './listener.js';
import { securedTcpConnector, tcpConnector, type Transport } from './transport.js';
import { fdOf, readTtlOptions, setMd5Key, setTtlOptions, type TcpSecurity } from './tcp-options.js';

/** Real sockets on loopback: a dropped SYN shows as no connection within this bound. */
const noConnectWaitMs = 1500;

/** 'connect' or 'timeout' (also 'error'), the transport destroyed either way. */
function outcome(t: Transport, waitMs = noConnectWaitMs): Promise<'connect' | 'timeout' | 'error'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      t.destroy();
      resolve('timeout');
    }, waitMs);
    t.on('connect', () => {
      clearTimeout(timer);
      resolve('connect');
    });
    t.on('error', () => {
      clearTimeout(timer);
      resolve('error');
    });
  });
}

async function withListener(fn: (l: Listener, accepted: Transport[]) => Promise<void>): Promise<void> {
  const accepted: Transport[] = [];
  const l = await listen({ host: '127.0.0.1', port: 0 }, (t) => accepted.push(t));
  try {
    await fn(l, accepted);
  } finally {
    for (const t of accepted) t.destroy();
    await l.close();
  }
}

async function connectWith(l: Listener, s: TcpSecurity, localAddress: string): Promise<{ result: string; ttl?: number }> {
  const t = securedTcpConnector(s)({ host: '127.0.0.1', port: l.address().port, localAddress });
  const fd = fdOf(t);
  const ttl = fd === undefined ? undefined : readTtlOptions(fd).ttl;
  const result = await outcome(t);
  t.destroy();
  return ttl === undefined ? { result } : { result, ttl };
}

test('a plain security setting gives the plain connector', () => {
  assert.equal(securedTcpConnector({}), tcpConnector);
});

test('the connector sets the TTL before connecting, from the given local address', async () => {
  await withListener(async (l, accepted) => {
    const out = await connectWith(l, { ttl: 7 }, '127.0.0.5');
    assert.deepEqual(out, { result: 'connect', ttl: 7 });
    assert.equal(accepted[0]?.remoteAddress, '127.0.0.5');
  });
});

test('GTSM: a listener with a least TTL of 255 never connects a sender of TTL 254, and connects one of 255', async () => {
  await withListener(async (l, accepted) => {
    setTtlOptions(l.fd!()!, { minTtl: 255 });
    assert.equal((await connectWith(l, { ttl: 254 }, '127.0.0.6')).result, 'timeout');
    assert.equal(accepted.length, 0);
    assert.equal((await connectWith(l, { ttl: 255 }, '127.0.0.6')).result, 'connect');
    // The accepted socket inherits the listener's least TTL.
    assert.equal(readTtlOptions(fdOf(accepted[0] as Socket)!).minTtl, 255);
  });
});

test('MD5: a listener keyed for an address accepts the same key only, and leaves other addresses unsigned', async () => {
  await withListener(async (l, accepted) => {
    const fd = l.fd!()!;
    setMd5Key(fd, '127.0.0.7', 'right');
    assert.equal((await connectWith(l, {}, '127.0.0.7')).result, 'timeout', 'unsigned SYN from a keyed peer');
    assert.equal((await connectWith(l, { md5Key: 'wrong' }, '127.0.0.7')).result, 'timeout', 'wrong key');
    assert.equal(accepted.length, 0);
    assert.equal((await connectWith(l, { md5Key: 'right' }, '127.0.0.7')).result, 'connect');
    assert.equal((await connectWith(l, {}, '127.0.0.8')).result, 'connect', 'an unkeyed address stays plain');
    // A range key (TCP_MD5SIG_EXT) covers every address in it; removing it makes them plain again.
    setMd5Key(fd, '127.0.9.0', 'range', 24);
    assert.equal((await connectWith(l, {}, '127.0.9.3')).result, 'timeout');
    assert.equal((await connectWith(l, { md5Key: 'range' }, '127.0.9.3')).result, 'connect');
    setMd5Key(fd, '127.0.9.0', undefined, 24);
    assert.equal((await connectWith(l, {}, '127.0.9.3')).result, 'connect');
  });
});

test('a failure to set an option is reported as a failed connection', async () => {
  const t = securedTcpConnector({ md5Key: 'k' })({ host: 'not-an-address', port: 1 });
  assert.equal(await outcome(t), 'error');
});

test('MD5 on a dual-stack "::" listener: an IPv4 peer key is filed as IPv4 and applies', async () => {
  const accepted: Transport[] = [];
  const l = await listen({ host: '::', port: 0 }, (t) => accepted.push(t));
  try {
    setMd5Key(l.fd!()!, '127.0.0.31', 'dual');
    assert.equal((await connectWith(l, {}, '127.0.0.31')).result, 'timeout');
    assert.equal((await connectWith(l, { md5Key: 'dual' }, '127.0.0.31')).result, 'connect');
  } finally {
    for (const t of accepted) t.destroy();
    await l.close();
  }
});
