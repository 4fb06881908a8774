import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Afi, Safi } from '../lib/address.js';
import { familyKey, defaultContext } from '../wire/context.js';
import { AddPathMode, type Capability } from '../wire/capability-types.js';
import { WireError, NotifyCode, OpenSubcode } from '../wire/errors.js';
import { decodeMessage, encodeMessage } from '../wire/message.js';
import type { OpenMessage } from '../wire/open.js';
import { gobgpdOpen, birdOpen, frrOpen } from '../wire/fixtures/open.js';
import { localOpen, negotiate, peerInfoOf, type LocalOffer } from './capabilities.js';

const v4 = familyKey(Afi.ipv4, Safi.unicast);
const v6 = familyKey(Afi.ipv6, Safi.unicast);

const offer: LocalOffer = {
  localAs: 65000,
  peerAs: 65001,
  routerId: Uint8Array.of(10, 0, 0, 1),
  holdTimeSec: 90,
  families: [v4, v6],
};

function peerOpen(over: Partial<OpenMessage> = {}, caps: Capability[] = [{ kind: 'four-octet-as', asn: 65001 }]): OpenMessage {
  return { type: 'open', version: 4, myAs: 65001, holdTime: 90, bgpId: Uint8Array.of(10, 0, 0, 2), capabilities: caps, ...over };
}

function openFromHex(hex: string): OpenMessage {
  const msg = decodeMessage(Buffer.from(hex, 'hex'), defaultContext);
  assert.equal(msg.type, 'open');
  return msg as OpenMessage;
}

function wireError(fn: () => unknown): WireError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WireError, `expected a WireError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a WireError');
}

test('our OPEN: 2-octet AS in My AS, 4-octet AS capability always', () => {
  const open = localOpen(offer);
  assert.equal(open.myAs, 65000);
  assert.equal(open.holdTime, 90);
  assert.deepEqual(open.capabilities.filter((c) => c.kind === 'four-octet-as'), [{ kind: 'four-octet-as', asn: 65000 }]);
  assert.deepEqual(
    open.capabilities.filter((c) => c.kind === 'multiprotocol'),
    [
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
    ],
  );
});

test('our OPEN: a 4-octet AS puts AS_TRANS in My AS (RFC 6793 4.1) and survives the wire', () => {
  const open = localOpen({ ...offer, localAs: 4200000001, hostname: 'rt-01', gracefulRestart: { restartTimeSec: 120 }, addPath: new Map([[v4, AddPathMode.receive]]) });
  assert.equal(open.myAs, 23456);
  const back = decodeMessage(encodeMessage(open, defaultContext), defaultContext) as OpenMessage;
  assert.deepEqual(back.capabilities, open.capabilities);
  assert.ok(back.capabilities.some((c) => c.kind === 'fqdn' && c.hostname === 'rt-01'));
  assert.ok(back.capabilities.some((c) => c.kind === 'graceful-restart' && c.restartTimeSec === 120 && c.families.length === 2));
  assert.ok(back.capabilities.some((c) => c.kind === 'add-path' && c.families[0]!.mode === AddPathMode.receive));
});

test('peer AS: the 4-octet capability wins over My AS; a mismatch is Bad Peer AS with the AS as data', () => {
  assert.equal(negotiate(offer, peerOpen()).peerAs, 65001);
  const err = wireError(() => negotiate(offer, peerOpen({}, [{ kind: 'four-octet-as', asn: 65009 }])));
  assert.equal(err.code, NotifyCode.openMessage);
  assert.equal(err.subcode, OpenSubcode.badPeerAs);
  assert.deepEqual([...err.data], [0, 0, 0xfd, 0xf1]);
  const err2 = wireError(() => negotiate(offer, peerOpen({ myAs: 65009 }, [])));
  assert.equal(err2.subcode, OpenSubcode.badPeerAs);
  assert.deepEqual([...err2.data], [0xfd, 0xf1]);
});

test('a peer with a 4-octet AS sends AS_TRANS in My AS and its AS in the capability', () => {
  const n = negotiate({ ...offer, peerAs: 4200000002 }, peerOpen({ myAs: 23456 }, [{ kind: 'four-octet-as', asn: 4200000002 }]));
  assert.equal(n.peerAs, 4200000002);
  assert.equal(n.isAs4, true);
});

test('a peer without the 4-octet AS capability gets a 2-octet session', () => {
  const n = negotiate(offer, peerOpen({}, []));
  assert.equal(n.isAs4, false);
  assert.equal(n.rx.isAs4, false);
  assert.equal(n.tx.isAs4, false);
});

test('BGP Identifier: zero is refused; our own only on iBGP (RFC 6286 2.2)', () => {
  assert.equal(wireError(() => negotiate(offer, peerOpen({ bgpId: new Uint8Array(4) }))).subcode, OpenSubcode.badBgpIdentifier);
  const ibgp: LocalOffer = { ...offer, peerAs: 65000 };
  const same = peerOpen({ myAs: 65000, bgpId: Uint8Array.of(10, 0, 0, 1) }, [{ kind: 'four-octet-as', asn: 65000 }]);
  assert.equal(wireError(() => negotiate(ibgp, same)).subcode, OpenSubcode.badBgpIdentifier);
  // eBGP with the same identifier is allowed.
  assert.doesNotThrow(() => negotiate(offer, peerOpen({ bgpId: Uint8Array.of(10, 0, 0, 1) })));
});

test('hold time: the smaller wins; 0 means no keepalives; 1 and 2 are refused', () => {
  assert.equal(negotiate(offer, peerOpen({ holdTime: 30 })).holdTimeSec, 30);
  assert.equal(negotiate(offer, peerOpen({ holdTime: 30 })).keepaliveMs, 10_000);
  assert.equal(negotiate(offer, peerOpen({ holdTime: 180 })).holdTimeSec, 90);
  assert.equal(negotiate(offer, peerOpen({ holdTime: 180 })).keepaliveMs, 30_000);
  const zero = negotiate(offer, peerOpen({ holdTime: 0 }));
  assert.equal(zero.holdTimeSec, 0);
  assert.equal(zero.keepaliveMs, 0);
  assert.equal(negotiate({ ...offer, holdTimeSec: 0 }, peerOpen()).keepaliveMs, 0);
  assert.equal(wireError(() => negotiate(offer, peerOpen({ holdTime: 2 }))).subcode, OpenSubcode.unacceptableHoldTime);
});

test('a configured keepalive scales with the negotiated hold time', () => {
  const o = { ...offer, holdTimeSec: 90, keepaliveSec: 10 };
  assert.equal(negotiate(o, peerOpen({ holdTime: 90 })).keepaliveMs, 10_000);
  assert.equal(negotiate(o, peerOpen({ holdTime: 45 })).keepaliveMs, 5_000);
});

test('families: the intersection; no Multiprotocol capability means IPv4 unicast (RFC 4760 8)', () => {
  const mp = (afi: number, safi: number): Capability => ({ kind: 'multiprotocol', afi, safi });
  assert.deepEqual([...negotiate(offer, peerOpen({}, [mp(2, 1)])).families], [v6]);
  assert.deepEqual([...negotiate(offer, peerOpen({}, [])).families], [v4]);
  assert.deepEqual([...negotiate({ ...offer, families: [] }, peerOpen({}, [mp(1, 1), mp(2, 1)])).families], [v4]);
  assert.deepEqual([...negotiate({ ...offer, families: [] }, peerOpen({}, [mp(2, 1)])).families], []);
});

test('ADD-PATH: we receive ids iff we said receive and the peer said send, per family (RFC 7911 4)', () => {
  const caps = (mode4: AddPathMode, mode6: AddPathMode): Capability[] => [
    { kind: 'multiprotocol', afi: 1, safi: 1 },
    { kind: 'multiprotocol', afi: 2, safi: 1 },
    { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: mode4 }, { afi: 2, safi: 1, mode: mode6 }] },
  ];
  const ours = { ...offer, addPath: new Map([[v4, AddPathMode.receive], [v6, AddPathMode.both]]) };
  const a = negotiate(ours, peerOpen({}, caps(AddPathMode.send, AddPathMode.receive)));
  assert.deepEqual([...a.addPathRx], [v4]);
  assert.deepEqual([...a.addPathTx], [v6]);
  assert.deepEqual([...a.rx.addPath], [v4]);
  assert.deepEqual([...a.tx.addPath], [v6]);
  const b = negotiate(ours, peerOpen({}, caps(AddPathMode.receive, AddPathMode.both)));
  assert.deepEqual([...b.addPathRx], [v6]);
  assert.deepEqual([...b.addPathTx], [v6]);
  // A family the peer does not negotiate carries no path ids even if both said so.
  const c = negotiate(ours, peerOpen({}, [{ kind: 'multiprotocol', afi: 2, safi: 1 }, { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: AddPathMode.both }] }]));
  assert.deepEqual([...c.addPathRx], []);
  const none = negotiate(offer, peerOpen({}, caps(AddPathMode.both, AddPathMode.both)));
  assert.deepEqual([...none.addPathRx], []);
  assert.deepEqual([...none.addPathTx], []);
});

test('extended message only when both offer it; route refresh, GR and FQDN of the peer are reported', () => {
  const plain = negotiate(offer, peerOpen());
  assert.equal(plain.isExtendedMessage, false);
  assert.equal(plain.isRouteRefresh, false);
  assert.equal(plain.peerGracefulRestart, undefined);
  const rich = negotiate(
    offer,
    peerOpen({}, [
      { kind: 'four-octet-as', asn: 65001 },
      { kind: 'extended-message' },
      { kind: 'route-refresh-old' },
      { kind: 'fqdn', hostname: 'node-1', domain: 'lab' },
      { kind: 'graceful-restart', isRestarting: true, isNotificationSupported: false, restartTimeSec: 90, families: [] },
    ]),
  );
  assert.equal(rich.isExtendedMessage, true);
  assert.equal(rich.rx.isExtendedMessage, true);
  assert.equal(rich.isRouteRefresh, true);
  assert.deepEqual(rich.peerFqdn, { hostname: 'node-1', domain: 'lab' });
  assert.equal(rich.peerGracefulRestart?.restartTimeSec, 90);
  assert.equal(rich.peerGracefulRestart?.isRestarting, true);
});

test('two of our speakers agree with each other: one side\'s rx is the other\'s tx', () => {
  const a: LocalOffer = { ...offer, addPath: new Map([[v4, AddPathMode.both], [v6, AddPathMode.send]]) };
  const b: LocalOffer = { localAs: 65001, peerAs: 65000, routerId: Uint8Array.of(10, 0, 0, 2), holdTimeSec: 30, families: [v4, v6], addPath: new Map([[v4, AddPathMode.receive], [v6, AddPathMode.receive]]) };
  const onWire = (o: LocalOffer): OpenMessage => decodeMessage(encodeMessage(localOpen(o), defaultContext), defaultContext) as OpenMessage;
  const atA = negotiate(a, onWire(b));
  const atB = negotiate(b, onWire(a));
  assert.equal(atA.holdTimeSec, 30);
  assert.equal(atB.holdTimeSec, 30);
  assert.deepEqual([...atA.addPathTx].sort(), [...atB.addPathRx].sort());
  assert.deepEqual([...atA.addPathRx].sort(), [...atB.addPathTx].sort());
  assert.deepEqual([...atA.addPathTx].sort(), [v4, v6].sort());
  assert.equal(atA.isExtendedMessage, true);
  const info = peerInfoOf('10.0.0.2', a, atA);
  assert.equal(info.isEbgp, true);
  assert.deepEqual([...info.routerId], [10, 0, 0, 2]);
  assert.equal(info.addPathRx, atA.addPathRx);
});

// OPENs captured from the daemons we interoperate with (see ../wire/fixtures/open.ts).
const daemonOpens = [
  { name: 'gobgpd', hex: gobgpdOpen, as: 65001, rr: true, ext: false, fqdn: 'vm' },
  { name: 'bird', hex: birdOpen, as: 65002, rr: true, ext: true, fqdn: 'vm' },
  { name: 'frr', hex: frrOpen, as: 65003, rr: true, ext: true, fqdn: 'fixture-frr' },
];

for (const d of daemonOpens) {
  test(`negotiates with the OPEN of ${d.name}`, () => {
    const ours: LocalOffer = { ...offer, peerAs: d.as, addPath: new Map([[v4, AddPathMode.receive]]) };
    const n = negotiate(ours, openFromHex(d.hex));
    assert.equal(n.peerAs, d.as);
    assert.equal(n.isAs4, true);
    assert.equal(n.holdTimeSec, 90);
    assert.deepEqual([...n.families].sort(), [v4, v6].sort());
    assert.equal(n.isRouteRefresh, d.rr);
    assert.equal(n.isExtendedMessage, d.ext);
    assert.equal(n.peerFqdn?.hostname, d.fqdn);
    assert.ok(n.peerGracefulRestart !== undefined);
    // Each of them advertised ADD-PATH send for IPv4 unicast.
    assert.deepEqual([...n.addPathRx], [v4]);
    assert.deepEqual([...n.addPathTx], []);
    assert.equal(wireError(() => negotiate({ ...ours, peerAs: 64999 }, openFromHex(d.hex))).subcode, OpenSubcode.badPeerAs);
  });
}
