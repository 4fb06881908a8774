import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAddress, formatPrefix } from '../lib/address.js';
import { as4Context, type FamilyKey } from '../wire/context.js';
import { encodeUpdate, endOfRibFamily, type UpdateMessage } from '../wire/update.js';
import { maxMessageLength } from '../wire/header.js';
import { AsSegmentType, Origin } from '../wire/attributes/types.js';
import { parseConfig, type OriginateRoute } from './config.js';
import { announceUpdates, endOfRibUpdates, ipv4Unicast, ipv6Unicast, routesForPeer, unmapAddress, UpdateSender, withdrawUpdates, type OriginateTarget } from './originate.js';

function originate(toml: string): readonly OriginateRoute[] {
  return parseConfig(`[global.config]\nas = 65001\nrouter-id = "10.0.0.1"\n${toml}`, 'toml', 't.toml').originate;
}

const both = new Set<FamilyKey>([ipv4Unicast, ipv6Unicast]);
const ebgp: OriginateTarget = { families: both, isEbgp: true, localAs: 65001, localAddress: '192.0.2.1', ctx: as4Context };

const twoV4 = originate('[[originate]]\nprefix = "172.17.254.1/32"\n[[originate]]\nprefix = "172.17.254.2/32"\n[[originate]]\nprefix = "2001:db8::/32"\n');

test('eBGP: AS_PATH of our AS, next hop our local address, no LOCAL_PREF', () => {
  const { routes, skipped } = routesForPeer(twoV4, ebgp);
  assert.equal(routes.length, 2);
  assert.deepEqual(routes[0]!.attributes.asPath, [{ type: AsSegmentType.sequence, asns: [65001] }]);
  assert.equal(formatAddress(routes[0]!.attributes.nextHop!), '192.0.2.1');
  assert.equal(routes[0]!.attributes.localPref, undefined);
  assert.equal(routes[0]!.attributes.origin, Origin.igp);
  // The IPv6 route has no configured next hop and the session is IPv4: not announced, said why.
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0]!.prefixText, '2001:db8::/32');
  assert.match(skipped[0]!.reason, /no IPv6 next hop/);
});

test('iBGP: empty AS_PATH and LOCAL_PREF 100', () => {
  const { routes } = routesForPeer(twoV4, { ...ebgp, isEbgp: false });
  assert.deepEqual(routes[0]!.attributes.asPath, []);
  assert.equal(routes[0]!.attributes.localPref, 100);
});

test('families the peer did not negotiate are left out; an IPv6 session gives the IPv6 next hop', () => {
  const onlyV6 = routesForPeer(twoV4, { ...ebgp, families: new Set([ipv6Unicast]), localAddress: '2001:db8::9' });
  assert.deepEqual(onlyV6.routes.map((r) => r.prefixText), ['2001:db8::/32']);
  assert.equal(formatAddress(onlyV6.routes[0]!.nextHop), '2001:db8::9');
  assert.deepEqual(onlyV6.skipped, []);
  assert.equal(unmapAddress('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(routesForPeer(twoV4, { ...ebgp, localAddress: '::ffff:192.0.2.7' }).routes[0]!.nextHop.join('.'), '192.0.2.7');
});

test('routes with equal attributes share UPDATEs; others get their own; IPv6 goes in MP_REACH_NLRI', () => {
  const routes = originate(`
[[originate]]
prefix = "10.0.0.0/24"
[[originate]]
prefix = "10.0.1.0/24"
[[originate]]
prefix = "10.0.2.0/24"
med = 5
[[originate]]
prefix = "2001:db8:1::/48"
next-hop = "2001:db8::1"
[[originate]]
prefix = "2001:db8:2::/48"
next-hop = "2001:db8::1"
`);
  const updates = announceUpdates(routesForPeer(routes, ebgp).routes, as4Context);
  assert.equal(updates.length, 3);
  assert.deepEqual([...updates[0]!.nlri].map((n) => formatPrefix(n.prefix)), ['10.0.0.0/24', '10.0.1.0/24']);
  assert.equal(updates[1]!.attributes.med, 5);
  const mp = updates[2]!.attributes.mpReach!;
  assert.deepEqual([...mp.nlri].map((n) => formatPrefix(n.prefix)), ['2001:db8:1::/48', '2001:db8:2::/48']);
  assert.equal(formatAddress(mp.nextHop), '2001:db8::1');
  assert.equal(updates[2]!.attributes.nextHop, undefined);
});

test('a large table is split into messages within the size limit', () => {
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) lines.push(`[[originate]]\nprefix = "10.${i >> 8}.${i & 255}.0/24"\n`);
  const updates = announceUpdates(routesForPeer(originate(lines.join('')), ebgp).routes, as4Context);
  assert.ok(updates.length > 1);
  assert.equal(updates.reduce((n, u) => n + u.nlri.count, 0), 2000);
  for (const u of updates) assert.ok(encodeUpdate(u, as4Context).length <= maxMessageLength);
});

test('withdrawals: IPv4 in the Withdrawn Routes field, IPv6 in MP_UNREACH_NLRI; End-of-RIB per family', () => {
  const prefixes = twoV4.map((r) => r.prefix);
  const [v4, v6] = withdrawUpdates(prefixes, as4Context);
  assert.equal(v4!.withdrawn.count, 2);
  assert.equal(v6!.attributes.mpUnreach!.withdrawn.count, 1);
  assert.deepEqual(endOfRibUpdates(both).map(endOfRibFamily), [ipv4Unicast, ipv6Unicast]);
});

test('the sender stops when the session says its queue is full and goes on at drain', () => {
  const sent: UpdateMessage[] = [];
  let room = 2;
  let drain = (): void => {};
  const sender = new UpdateSender({
    sendUpdate: (m) => {
      sent.push(m);
      return --room > 0;
    },
    onDrain: (fn) => {
      drain = fn;
    },
  });
  const msgs = endOfRibUpdates(both);
  sender.send([...msgs, ...msgs, ...msgs]);
  assert.equal(sent.length, 2);
  assert.equal(sender.pending, 4);
  sender.send(msgs);
  assert.equal(sent.length, 2, 'nothing more while blocked');
  room = 100;
  drain();
  assert.equal(sent.length, 8);
  assert.equal(sender.pending, 0);
  room = 1;
  sender.send(msgs);
  assert.equal(sent.length, 9);
  sender.clear();
  drain();
  assert.equal(sent.length, 9, 'cleared messages are not sent');
});
