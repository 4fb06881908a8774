// ADD-PATH send (RFC 7911) through the daemon, on in-memory sessions: three sources of a
// prefix, a peer that takes several paths (send-max 2) and one that does not. Checks
// the capability negotiated from the configuration, the identifiers on the wire, the
// replacement and withdrawal as paths go, and that the other peer sees the best only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../lib/clock.js';
import { Afi, Safi, formatPrefix, parseAddress, parsePrefix } from '../lib/address.js';
import { silentLogger } from '../lib/logger.js';
import { familyKey, type FamilyKey } from '../wire/context.js';
import { AddPathMode } from '../wire/capability-types.js';
import { packUpdates, packWithdrawals, type UpdateMessage } from '../wire/update.js';
import { Session } from '../session/session.js';
import { FakeNetwork, RecordingSink, recordingLogger } from '../session/testing.js';
import { parseConfig } from './config.js';
import { Daemon } from './daemon.js';
import { addPathModes } from './add-path-config.js';

const v4 = familyKey(Afi.ipv4, Safi.unicast);
const self = '192.0.2.1';
const prefix = '10.10.9.0/24';
const sources = [
  { address: '192.0.2.11', as: 65011, path: [65011] },
  { address: '192.0.2.12', as: 65012, path: [65012, 65100] },
  { address: '192.0.2.13', as: 65013, path: [65013, 65100, 65101] },
];
const addPathPeer = { address: '192.0.2.20', as: 65020 };
const plainPeer = { address: '192.0.2.30', as: 65030 };

function neighbor(address: string, as: number, extra = ''): string {
  return `[[neighbors]]
[neighbors.config]
neighbor-address = "${address}"
peer-as = ${as}
[neighbors.transport.config]
local-address = "${self}"
[neighbors.timers.config]
connect-retry = 5
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv4-unicast"
${extra}`;
}

const config = `[global.config]
as = 65001
router-id = "10.0.0.1"
port = -1
${sources.map((s) => neighbor(s.address, s.as)).join('')}
${neighbor(addPathPeer.address, addPathPeer.as, '[neighbors.afi-safis.add-paths.config]\nsend-max = 2\n')}
${neighbor(plainPeer.address, plainPeer.as)}`;

interface Remote {
  readonly session: Session;
  readonly sink: RecordingSink;
}

/** What the updates a remote received say of the prefix: announced (prefix#id) and withdrawn, in order. */
function nlriSeen(updates: readonly UpdateMessage[]): { announced: string[]; withdrawn: string[] } {
  const announced: string[] = [];
  const withdrawn: string[] = [];
  for (const u of updates) {
    for (const n of u.nlri) announced.push(`${formatPrefix(n.prefix)}#${n.pathId} ${u.attributes.asPath?.[0]?.asns.join(' ')}`);
    for (const n of u.withdrawn) withdrawn.push(`${formatPrefix(n.prefix)}#${n.pathId}`);
  }
  return { announced, withdrawn };
}

test('ADD-PATH send through the daemon: two paths with distinct identifiers, replacement, withdrawal; a plain peer gets the best only', async () => {
  const net = new FakeNetwork();
  const clock = new ManualClock();
  const daemon = new Daemon(parseConfig(config, 'toml', 'add-path.toml'), { logger: silentLogger, clock, random: () => 0.5, connect: net.connector(self), hostname: 'tsbgpd' });
  const remotes = new Map<string, Remote>();
  const make = (address: string, as: number, addPath?: ReadonlyMap<FamilyKey, AddPathMode>): Remote => {
    const sink = new RecordingSink();
    const session = new Session(
      { peerAddress: self, peerPort: 179, localAddress: address, localAs: as, peerAs: 65001, routerId: parseAddress(address), holdTimeSec: 90, connectRetrySec: 5, isPassive: true, families: [v4], ...(addPath === undefined ? {} : { addPath }) },
      { clock, random: () => 0.5, logger: recordingLogger(), sink, connect: net.connector(address) },
    );
    net.listen(address, 179, (t) => session.handleIncoming(t));
    session.start();
    remotes.set(address, { session, sink });
    return { session, sink };
  };
  for (const s of sources) make(s.address, s.as);
  const receiver = make(addPathPeer.address, addPathPeer.as, new Map([[v4, AddPathMode.receive]]));
  const plain = make(plainPeer.address, plainPeer.as);
  try {
    await daemon.start();
    for (let i = 0; i < 30 && [...remotes.values()].some((r) => r.session.state !== 'Established'); i++) {
      net.pump();
      clock.advance(1000);
    }
    for (const [address, r] of remotes) assert.equal(r.session.state, 'Established', address);
    assert.deepEqual([...(daemon.sessionOf(addPathPeer.address)?.negotiated?.tx.addPath ?? [])], [v4], 'send negotiated with the ADD-PATH peer');
    assert.equal(daemon.sessionOf(plainPeer.address)?.negotiated?.tx.addPath.size, 0);
    assert.deepEqual([...(receiver.session.negotiated?.rx.addPath ?? [])], [v4]);

    const announce = (i: number): void => {
      const s = sources[i]!;
      const r = remotes.get(s.address)!;
      for (const u of packUpdates({ origin: 0, asPath: [{ type: 2, asns: s.path }], nextHop: parseAddress(s.address) }, [parsePrefix(prefix)], r.session.negotiated!.tx)) r.session.sendUpdate(u);
      net.pump();
    };
    const withdraw = (i: number): void => {
      const r = remotes.get(sources[i]!.address)!;
      for (const u of packWithdrawals(Afi.ipv4, Safi.unicast, [parsePrefix(prefix)], r.session.negotiated!.tx)) r.session.sendUpdate(u);
      net.pump();
    };
    receiver.sink.updates.length = 0;
    plain.sink.updates.length = 0;
    announce(0);
    announce(1);
    announce(2);
    const first = nlriSeen(receiver.sink.updates);
    assert.deepEqual(first.announced, [`${prefix}#1 65001 65011`, `${prefix}#2 65001 65012 65100`], 'the best, then the second; the third is over send-max');
    assert.deepEqual(first.withdrawn, []);
    const plainSeen = nlriSeen(plain.sink.updates);
    assert.deepEqual(plainSeen.announced, [`${prefix}#0 65001 65011`], 'the plain peer: the best only, no identifier on its wire');

    receiver.sink.updates.length = 0;
    plain.sink.updates.length = 0;
    withdraw(0);
    const second = nlriSeen(receiver.sink.updates);
    assert.deepEqual(second.announced, [`${prefix}#1 65001 65013 65100 65101`], "the third path replaces the withdrawn best under its identifier; .12's stays");
    assert.deepEqual(second.withdrawn, []);
    assert.deepEqual(nlriSeen(plain.sink.updates).announced, [`${prefix}#0 65001 65012 65100`], 'the plain peer: the new best');

    receiver.sink.updates.length = 0;
    withdraw(2);
    withdraw(1);
    const third = nlriSeen(receiver.sink.updates);
    assert.deepEqual(third.announced, []);
    assert.deepEqual(third.withdrawn.sort(), [`${prefix}#1`, `${prefix}#2`]);
  } finally {
    const stopping = daemon.stop();
    for (let i = 0; i < 10; i++) {
      net.pump();
      clock.advance(1000);
    }
    await stopping;
    for (const r of remotes.values()) void r.session.stop();
    net.pump();
  }
});

test('configuration: add-paths send-max per family over the neighbor\'s, modes offered', () => {
  const parsed = parseConfig(
    `[global.config]
as = 65001
router-id = "10.0.0.1"
[[neighbors]]
[neighbors.config]
neighbor-address = "2001:db8::2"
peer-as = 65002
[neighbors.add-paths.config]
receive = true
send-max = 4
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv4-unicast"
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "ipv6-unicast"
[neighbors.afi-safis.add-paths.config]
send-max = 0
`,
    'toml',
    't.toml',
  );
  const v6 = familyKey(Afi.ipv6, Safi.unicast);
  assert.deepEqual(parsed.neighbors[0]!.addPaths, [
    { family: v4, isReceive: true, sendMax: 4 },
    { family: v6, isReceive: true, sendMax: 0 },
  ]);
  assert.deepEqual([...addPathModes(parsed.neighbors[0]!.addPaths!)], [
    [v4, AddPathMode.both],
    [v6, AddPathMode.receive],
  ]);
  assert.throws(() => parseConfig(config.replace('send-max = 2', 'send-max = 256'), 'toml', 'x.toml'), /send-max: expected 0 \(send the best path only\) or up to 255/);
  assert.equal(parseConfig(config, 'toml', 'x.toml').neighbors.find((n) => n.address === plainPeer.address)!.addPaths, undefined);
});
