// The library entry point: what an embedding program imports works end to end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tsbgp from './index.js';

test('the package entry point decodes and encodes through the public API', () => {
  const prefix = tsbgp.parsePrefix('172.17.254.1/32');
  const update = tsbgp.makeUpdate({
    attributes: { origin: tsbgp.Origin.incomplete, asPath: [{ type: tsbgp.AsSegmentType.sequence, asns: [64522] }], nextHop: tsbgp.parseAddress('172.17.0.21') },
    nlri: tsbgp.NlriList.from([prefix], tsbgp.Afi.ipv4),
  });
  const bytes = tsbgp.encodeMessage(update, tsbgp.as4Context);
  const back = tsbgp.decodeMessage(bytes, tsbgp.as4Context);
  assert.equal(back.type, 'update');
  if (back.type !== 'update') return;
  assert.deepEqual([...back.nlri].map((n) => tsbgp.formatPrefix(n.prefix)), ['172.17.254.1/32']);
  assert.deepEqual(back.attributes.asPath, [{ type: tsbgp.AsSegmentType.sequence, asns: [64522] }]);
  assert.equal(tsbgp.formatAddress(back.attributes.nextHop!), '172.17.0.21');
});

test('a damaged message surfaces as a WireError carrying its NOTIFICATION codes', () => {
  const bytes = tsbgp.encodeKeepalive();
  bytes[0] = 0;
  assert.throws(
    () => tsbgp.decodeMessage(bytes, tsbgp.defaultContext),
    (e: unknown) => e instanceof tsbgp.WireError && e.code === tsbgp.NotifyCode.messageHeader && e.subcode === tsbgp.HeaderSubcode.connectionNotSynchronized,
  );
});
