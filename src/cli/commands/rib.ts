// Listing a table of routes, shared by `global rib` and `neighbor ADDR adj-in|adj-out|
// local`: the whole table, a prefix or address looked up (with longer-prefixes or
// shorter-prefixes), or its summary (ListPath / GetTable).

import { LookupType, TableType, type Destination, type ListPathRequest, type TableLookupPrefix } from '../../api/apipb.js';
import { afiName, parseFamily, parseLookupArg, UsageError, type IpAfi } from '../args.js';
import { exitOk, type CommandContext } from '../command.js';
import { formatRib, formatSummary, type TableLayout } from '../format.js';
import { jsonLine, apiMessageJson, ribJson } from '../json.js';
import { pathView, type PathView } from '../path-view.js';

/** Which table, and the family to show when neither -a nor a prefix says. */
export interface TableTarget {
  readonly tableType: TableType;
  /** Neighbor address (adj-in, adj-out, local). */
  readonly name?: string;
  readonly defaultAfi: IpAfi;
  readonly layout: TableLayout;
  /** Shown in messages: "global rib", "neighbor 172.17.0.21 adj-in". */
  readonly title: string;
}

const lookupTypes: Readonly<Record<string, number>> = { 'longer-prefixes': LookupType.longer, 'shorter-prefixes': LookupType.shorter };

/** Parses `[summary | PREFIX [longer-prefixes|shorter-prefixes]]` and prints the table. */
export async function showTable(ctx: CommandContext, target: TableTarget, args: readonly string[], usage: string): Promise<number> {
  const explicitAfi = parseFamily(ctx.values['address-family']);
  if (args[0] === 'summary') {
    if (args.length > 1) throw new UsageError(`unexpected "${args[1]}" after summary`, usage);
    const afi = explicitAfi ?? target.defaultAfi;
    const res = await ctx.connection.call(`${target.title} summary`, (api) =>
      api.getTable({ table_type: target.tableType, family: { afi, safi: 1 }, ...(target.name === undefined ? {} : { name: target.name }) }),
    );
    ctx.io.out(ctx.isJson ? jsonLine(apiMessageJson(res, 'apipb.GetTableResponse')) : formatSummary(afi, 1, res));
    return exitOk;
  }
  if (args.length > 2) throw new UsageError(`unexpected "${args[2]}"`, usage);
  let afi = explicitAfi ?? target.defaultAfi;
  const prefixes: TableLookupPrefix[] = [];
  if (args.length > 0) {
    const lookup = parseLookupArg(args[0]!, usage);
    if (explicitAfi !== undefined && lookup.afi !== explicitAfi) throw new UsageError(`"${args[0]}" is not an ${afiName(explicitAfi)} prefix or address`, usage);
    // Without -a, the prefix says which table (gobgp asks for -a ipv6).
    afi = lookup.afi;
    const mode = args[1];
    const type = mode === undefined ? LookupType.exact : lookupTypes[mode];
    if (type === undefined) throw new UsageError(`expected longer-prefixes or shorter-prefixes after the prefix, got "${mode}"`, usage);
    prefixes.push({ prefix: lookup.text, type });
  }
  const request: ListPathRequest = { table_type: target.tableType, family: { afi, safi: 1 }, prefixes, sort_type: 1 };
  if (target.name !== undefined) request.name = target.name;
  const destinations = await ctx.connection.call(target.title, async (api) => {
    const out: Destination[] = [];
    for await (const d of api.listPathStream(request)) out.push(d);
    return out;
  });
  const views = destinations.map((d) => ({ prefix: d.prefix ?? '', paths: (d.paths ?? []).map(pathView) }));
  if (ctx.isJson) {
    ctx.io.out(jsonLine(ribJson(views)));
    return exitOk;
  }
  const paths: PathView[] = views.flatMap((d) => d.paths);
  ctx.io.out(formatRib(paths, target.layout, Math.floor(ctx.wallNow() / 1000)));
  return exitOk;
}
