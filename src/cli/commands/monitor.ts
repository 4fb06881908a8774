// `tsbgp monitor`: routes as they arrive (adj-in), best paths as they change (global
// rib) and session states (neighbor), from WatchEvent, one line each as gobgp prints
// them. Withdrawals print as [DELROUTE] whenever the server sends them, including
// those of a session going down. Runs until Ctrl-C / SIGTERM, then closes the stream.

import { PeerEventType, WatchFilterType, type WatchEventRequest, type WatchEventResponse } from '../../api/apipb.js';
import { parseAddressArg, UsageError } from '../args.js';
import { ApiCallError, exitOk, type Command, type CommandContext } from '../command.js';
import { formatRouteEvent } from '../format.js';
import { formatPeerEvent, peerAddress } from '../format-peer.js';
import { jsonLine, apiMessageJson, pathJson } from '../json.js';
import { pathView } from '../path-view.js';

export const monitorUsage = `Usage: tsbgp monitor adj-in [--current] [-j]
       tsbgp monitor global rib [--current] [-j]
       tsbgp monitor neighbor [ADDRESS] [--current] [-j]
`;

const help = `${monitorUsage}
  monitor adj-in         every route received from any peer, before import policy:
                         [ROUTE] for an announcement, [DELROUTE] for a withdrawal
  monitor global rib     every change of a best path
  monitor neighbor       every session state change, of one peer or all of them

  --current              first print what is there now (the routes of the table, or
                         each peer's state), then the changes

Each line starts with the UTC time it arrived. With -j, each message of the server is
one JSON line (routes: an array in gobgp's form; peers: the peer). Runs until Ctrl-C or
SIGTERM, which closes the stream and exits 0; exits 1 if the server ends it.
`;

/** What to watch, from the words after "monitor". */
function requestFor(words: readonly string[], isCurrent: boolean): { readonly request: WatchEventRequest; readonly address?: string } {
  const [what, ...rest] = words;
  const table = (type: number): WatchEventRequest => ({ table: { filters: [{ type, init: isCurrent }] } });
  if (what === 'adj-in' && rest.length === 0) return { request: table(WatchFilterType.adjIn) };
  if (what === 'global' && rest.length === 1 && rest[0] === 'rib') return { request: table(WatchFilterType.best) };
  if (what === 'neighbor' && rest.length <= 1) {
    if (rest[0] === undefined) return { request: { peer: {} } };
    parseAddressArg(rest[0], 'neighbor', monitorUsage);
    return { request: { peer: {} }, address: rest[0] };
  }
  throw new UsageError(what === undefined ? 'monitor what: adj-in, global rib or neighbor?' : `unknown monitor target "${words.join(' ')}"`, monitorUsage);
}

async function run(ctx: CommandContext): Promise<number> {
  const isCurrent = ctx.values.current === true;
  const { request, address } = requestFor(ctx.words, isCurrent);
  const onEvent = (e: WatchEventResponse): void => {
    const now = ctx.wallNow();
    const table = e.table;
    if (table !== null && table !== undefined) {
      const paths = (table.paths ?? []).map(pathView);
      if (paths.length === 0) return;
      ctx.io.out(ctx.isJson ? jsonLine(paths.map(pathJson)) : paths.map((p) => formatRouteEvent(p, now)).join(''));
      return;
    }
    const peerEvent = e.peer;
    const peer = peerEvent?.peer;
    if (peer === null || peer === undefined) return;
    // The state at the start comes as INIT events: shown with --current only.
    const isShown = peerEvent?.type === PeerEventType.state || (isCurrent && peerEvent?.type === PeerEventType.init);
    if (!isShown || (address !== undefined && peerAddress(peer) !== address)) return;
    ctx.io.out(ctx.isJson ? jsonLine(apiMessageJson(peer, 'apipb.Peer')) : formatPeerEvent(peer, now));
  };
  let isInterrupted = false;
  const watch = ctx.connection.api.watchEvent(request, onEvent);
  const removeHandler = ctx.io.onInterrupt?.(() => {
    isInterrupted = true;
    watch.cancel();
  });
  try {
    await watch.done;
  } catch (e) {
    throw ctx.connection.describe(e, `monitor ${ctx.words.join(' ')}`);
  } finally {
    removeHandler?.();
  }
  if (!isInterrupted) throw new ApiCallError(`monitor ${ctx.words.join(' ')}: the server at ${ctx.connection.target} ended the stream`);
  return exitOk;
}

export const monitorCommand: Command = { name: 'monitor', options: ['current'], isRemote: true, usage: monitorUsage, help, run };
