// Builders for policy tests: routes from prefix text, contexts from address text.

import { parseAddress, parsePrefix } from '../lib/address.js';
import { prefixKey } from '../rib/prefix-key.js';
import { AsSegmentType, type AsPathSegment, type PathAttributes } from '../wire/attributes/types.js';
import type { PolicyContext, PolicyRoute } from './route.js';

/** A route for `prefix` with the given attributes; the next hop defaults to the family's documentation address. */
export function makeRoute(prefix: string, attributes: PathAttributes = {}, nextHop?: string): PolicyRoute {
  const p = parsePrefix(prefix);
  const hop = nextHop ?? (p.afi === 1 ? '192.0.2.1' : '2001:db8::1');
  return { key: prefixKey(p), attributes, nextHop: parseAddress(hop) };
}

/** A context for the peer at `neighbor`, with this speaker's addresses toward it. */
export function makeContext(neighbor: string, localIpv4 = '172.17.0.1', localIpv6 = '2001:db8::ff'): PolicyContext {
  return { neighbor: parseAddress(neighbor), localIpv4: parseAddress(localIpv4), localIpv6: parseAddress(localIpv6) };
}

/** One AS_SEQUENCE of the given ASes. */
export function sequence(...asns: number[]): AsPathSegment[] {
  return [{ type: AsSegmentType.sequence, asns }];
}
