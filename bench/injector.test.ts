import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { parseAddress } from '../src/lib/address.js';
import { defaultContext } from '../src/wire/context.js';
import { Framer } from '../src/wire/framer.js';
import { maxMessageLength } from '../src/wire/header.js';
import { decodeMessage, encodeMessage, type Message } from '../src/wire/message.js';
import { ceaseNotification } from '../src/wire/notification.js';
import { Injector, timeSinkWrite } from './injector.js';
import { generateTable } from './generate.js';

/** A peer on 127.0.0.1 that answers OPEN with OPEN + KEEPALIVE (or with `reply`) and records what it gets. */
async function fakePeer(reply?: Message): Promise<{ server: Server; port: number; received: Message[]; sockets: Socket[] }> {
  const received: Message[] = [];
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    const framer = new Framer(maxMessageLength);
    s.on('data', (chunk: Buffer) => {
      for (const bytes of framer.push(chunk)) {
        const msg = decodeMessage(bytes, { ...defaultContext, isAs4: true });
        received.push(msg);
        if (msg.type !== 'open') continue;
        if (reply !== undefined) {
          s.write(encodeMessage(reply, defaultContext));
          continue;
        }
        s.write(encodeMessage({ type: 'open', version: 4, myAs: 65000, holdTime: 90, bgpId: parseAddress('127.0.0.2'), capabilities: [{ kind: 'four-octet-as', asn: 65000 }] }, defaultContext));
        s.write(encodeMessage({ type: 'keepalive' }, defaultContext));
      }
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, received, sockets };
}

const options = (port: number) => ({ localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: port, as: 4200000001, routerId: '127.0.0.1', holdTimeSec: 240, handshakeTimeoutMs: 5000 });

test('the injector opens with 4-octet AS and IPv4+IPv6 multiprotocol, then its bytes arrive whole', async () => {
  const peer = await fakePeer();
  try {
    const injector = await Injector.connect(options(peer.port));
    const open = peer.received.find((m) => m.type === 'open');
    assert.ok(open !== undefined && open.type === 'open');
    assert.equal(open.myAs, 23456, 'AS_TRANS in the 2-octet field (RFC 6793)');
    assert.deepEqual(open.capabilities.filter((c) => c.kind === 'multiprotocol'), [{ kind: 'multiprotocol', afi: 1, safi: 1 }, { kind: 'multiprotocol', afi: 2, safi: 1 }]);
    assert.deepEqual(open.capabilities.find((c) => c.kind === 'four-octet-as'), { kind: 'four-octet-as', asn: 4200000001 });
    const table = generateTable({ ipv4Count: 300, ipv6Count: 50, attributeSets: 20, seed: 3, peerAs: 4200000001, nextHop4: parseAddress('192.0.2.1'), nextHop6: parseAddress('2001:db8::1') });
    const times = await injector.send(table.announce);
    assert.ok(times.writtenMs >= times.startMs);
    const expected = table.shape.updates + 2;
    for (let i = 0; i < 200 && peer.received.filter((m) => m.type === 'update').length < expected; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(peer.received.filter((m) => m.type === 'update').length, expected);
    assert.equal(injector.peerOpen.myAs, 65000);
    await injector.close();
    assert.equal(injector.isOpen, false);
  } finally {
    for (const s of peer.sockets) s.destroy();
    peer.server.close();
  }
});

test('a NOTIFICATION instead of OPEN fails the connect with its text', async () => {
  const peer = await fakePeer(ceaseNotification(2, 'go away'));
  try {
    await assert.rejects(Injector.connect(options(peer.port)), /NOTIFICATION .*go away/);
  } finally {
    for (const s of peer.sockets) s.destroy();
    peer.server.close();
  }
});

test('the sink check reports every byte written', async () => {
  const bytes = Buffer.alloc(1 << 20, 1);
  const timing = await timeSinkWrite(bytes);
  assert.equal(timing.bytes, bytes.length);
  assert.ok(timing.ms > 0);
});
