// `tsbgp neighbor`: the peers (ListPeer), one peer's tables (see rib.ts), and the
// operator's verbs on a session: reset (RFC 4486 Administrative Reset), soft reset
// (route refresh, RFC 2918 / RFC 7313), shutdown, enable and disable, a reason being
// sent as the RFC 9003 Shutdown Communication.

import { Afi } from '../../lib/address.js';
import { SoftResetDirection, TableType, type Peer } from '../../api/apipb.js';
import { parseAddressArg, UsageError } from '../args.js';
import { ApiCallError, exitOk, type Command, type CommandContext } from '../command.js';
import { formatNeighbor, formatNeighborTable, isPeerEstablished, sortPeers } from '../format-peer.js';
import { jsonLine, apiMessageJson } from '../json.js';
import { showTable, type TableTarget } from './rib.js';
import { showAssignment } from './policy.js';

export const neighborUsage = `Usage: tsbgp neighbor [-j]
       tsbgp neighbor ADDRESS [-j]
       tsbgp neighbor ADDRESS adj-in|adj-out|local [-a ipv4|ipv6] [-j] [PREFIX|ADDRESS [longer-prefixes|shorter-prefixes]]
       tsbgp neighbor ADDRESS adj-in|adj-out|local [-a ipv4|ipv6] [-j] summary
       tsbgp neighbor ADDRESS|all reset [--reason TEXT]
       tsbgp neighbor ADDRESS|all softreset [in|out]      (also softresetin, softresetout)
       tsbgp neighbor ADDRESS shutdown|disable [--reason TEXT]
       tsbgp neighbor ADDRESS enable
       tsbgp neighbor ADDRESS policy [import|export] [add|del|set POLICY... [default accept|reject]]
`;

const help = `${neighborUsage}
  neighbor               every peer: AS, time up or down, state, routes received and accepted
  neighbor ADDRESS       one peer: session, timers, capabilities, message and route counts
  adj-in                 the routes received from the peer (its Adj-RIB-In)
  adj-out                the routes sent to it (its Adj-RIB-Out)
  local                  the routes of the global RIB as this peer's view
  reset                  close the session (Cease / Administrative Reset) and start again
  softreset              ask the peer to send its routes again (in), send ours again (out),
                         or both (default); no session reset
  shutdown               close the session (Cease / Administrative Shutdown); it stays down
  disable, enable        stop the peer (it stays down), and let it start again
  policy                 the peer's import/export policy assignment (ListPolicyAssignment);
                         add, del and set change it (see tsbgp policy --help)

--reason TEXT is sent to the peer as the Shutdown Communication (RFC 9003, at most 255
octets). The tables show the family of the PREFIX given, else -a, else that of the
neighbor's address.
`;

const tables: Readonly<Record<string, { readonly tableType: TableType; readonly layout: TableTarget['layout'] }>> = {
  'adj-in': { tableType: TableType.adjIn, layout: 'adj-in' },
  'adj-out': { tableType: TableType.adjOut, layout: 'adj-out' },
  local: { tableType: TableType.local, layout: 'global' },
};

async function findPeer(ctx: CommandContext, address: string): Promise<Peer> {
  const peers = await ctx.connection.call(`neighbor ${address}`, (api) => api.listPeer({ address }));
  const peer = peers[0];
  if (peer === undefined) throw new ApiCallError(`no neighbor ${address} (tsbgp neighbor lists them)`);
  return peer;
}

function reasonOf(ctx: CommandContext, verb: string): string {
  const reason = ctx.values.reason ?? '';
  if (reason !== '' && !['reset', 'shutdown', 'disable'].includes(verb)) throw new UsageError(`--reason goes with reset, shutdown and disable, not ${verb}`, neighborUsage);
  // RFC 9003 2: at most 255 octets of UTF-8.
  if (Buffer.byteLength(reason, 'utf8') > 255) throw new UsageError(`--reason: at most 255 octets (RFC 9003), got ${Buffer.byteLength(reason, 'utf8')}`, neighborUsage);
  return reason;
}

const softDirections: Readonly<Record<string, number>> = { in: SoftResetDirection.in, out: SoftResetDirection.out, both: SoftResetDirection.both };

async function peerVerb(ctx: CommandContext, address: string, verb: string, args: readonly string[]): Promise<number> {
  const communication = reasonOf(ctx, verb);
  let direction: number | undefined;
  if (verb === 'softreset') {
    if (args.length > 1) throw new UsageError(`unexpected "${args[1]}"`, neighborUsage);
    direction = softDirections[args[0] ?? 'both'];
    if (direction === undefined) throw new UsageError(`softreset: expected in or out, got "${args[0]}"`, neighborUsage);
  } else if (args.length > 0) {
    throw new UsageError(`unexpected "${args[0]}" after ${verb}`, neighborUsage);
  }
  const isAll = address === 'all';
  if (isAll && verb !== 'reset' && verb !== 'softreset') throw new UsageError(`"all" goes with reset and softreset, not ${verb}`, neighborUsage);
  if (!isAll) await findPeer(ctx, address);
  const what = `neighbor ${address} ${verb}`;
  await ctx.connection.call(what, async (api) => {
    switch (verb) {
      case 'reset':
        return api.resetPeer({ address, communication });
      case 'softreset':
        return api.resetPeer({ address, soft: true, direction: direction! });
      case 'shutdown':
        return api.shutdownPeer({ address, communication });
      case 'enable':
        return api.enablePeer({ address });
      default:
        return api.disablePeer({ address, communication });
    }
  });
  if (ctx.isJson) ctx.io.out(jsonLine({}));
  return exitOk;
}

const verbs: Readonly<Record<string, { readonly verb: string; readonly args: readonly string[] }>> = {
  reset: { verb: 'reset', args: [] },
  softreset: { verb: 'softreset', args: [] },
  softresetin: { verb: 'softreset', args: ['in'] },
  softresetout: { verb: 'softreset', args: ['out'] },
  shutdown: { verb: 'shutdown', args: [] },
  enable: { verb: 'enable', args: [] },
  disable: { verb: 'disable', args: [] },
};

async function run(ctx: CommandContext): Promise<number> {
  const [address, sub, ...rest] = ctx.words;
  if (address === undefined) {
    const peers = await ctx.connection.call('neighbor', (api) => api.listPeer());
    ctx.io.out(ctx.isJson ? jsonLine(apiMessageJson(sortPeers(peers), 'apipb.Peer')) : formatNeighborTable(peers, Math.floor(ctx.wallNow() / 1000)));
    return exitOk;
  }
  if (address !== 'all') parseAddressArg(address, 'neighbor', neighborUsage);
  if (ctx.values.reason !== undefined && (sub === undefined || verbs[sub] === undefined)) throw new UsageError('--reason goes with reset, shutdown and disable', neighborUsage);
  if (sub !== undefined && verbs[sub] !== undefined) {
    const v = verbs[sub]!;
    if (v.args.length > 0 && rest.length > 0) throw new UsageError(`unexpected "${rest[0]}" after ${sub}`, neighborUsage);
    return peerVerb(ctx, address, v.verb, [...v.args, ...rest]);
  }
  if (address === 'all') throw new UsageError('"all" goes with reset and softreset', neighborUsage);
  if (sub === undefined) {
    const peer = await findPeer(ctx, address);
    ctx.io.out(ctx.isJson ? jsonLine(apiMessageJson(peer, 'apipb.Peer')) : formatNeighbor(peer, Math.floor(ctx.wallNow() / 1000)));
    return exitOk;
  }
  if (sub === 'policy') return showAssignment(ctx, address, rest, neighborUsage);
  const table = tables[sub];
  if (table === undefined) throw new UsageError(`unknown neighbor subcommand "${sub}"`, neighborUsage);
  const peer = await findPeer(ctx, address);
  // As gobgp: a session that is not up has no Adj-RIBs to show.
  if (sub !== 'local' && !isPeerEstablished(peer)) throw new ApiCallError(`neighbor ${address}'s BGP session is not established`);
  const defaultAfi = parseAddressArg(address, 'neighbor', neighborUsage).length === 4 ? Afi.ipv4 : Afi.ipv6;
  return showTable(ctx, { tableType: table.tableType, name: address, defaultAfi, layout: table.layout, title: `neighbor ${address} ${sub}` }, rest, neighborUsage);
}

export const neighborCommand: Command = { name: 'neighbor', options: ['address-family', 'reason'], isRemote: true, usage: neighborUsage, help, run };
