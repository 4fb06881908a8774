// `tsbgp policy` and the `policy` verbs of `global` and `neighbor`: routing policies,
// defined sets and policy assignments (ListPolicy, ListDefinedSet, ListPolicyAssignment).
// tsbgpd answers these UNIMPLEMENTED for now, which is reported as such; a server that
// serves them gets its answers printed as JSON, one message a line.

import * as grpc from '@grpc/grpc-js';
import type { ApiClientOptions } from '../../api/client.js';
import { apiPackageDefinition, serviceName } from '../../api/protos.js';
import { UsageError } from '../args.js';
import { exitOk, type Command, type CommandContext } from '../command.js';
import { jsonLine, apiMessageJson } from '../json.js';

export const policyUsage = `Usage: tsbgp policy [NAME]
       tsbgp policy prefix|neighbor|as-path|community|ext-community|large-community|next-hop [NAME]
       tsbgp global policy [import|export]
       tsbgp neighbor ADDRESS policy [import|export]
`;

const help = `${policyUsage}
  policy [NAME]          routing policies (ListPolicy)
  policy SET-TYPE [NAME] defined sets of that type (ListDefinedSet)
  global policy          policies assigned to the global RIB (ListPolicyAssignment)
  neighbor ADDR policy   policies assigned to one neighbor (ListPolicyAssignment)

tsbgpd does not serve these calls yet: they end with its UNIMPLEMENTED answer and
exit status 1. Against a server that serves them, each answer is printed as JSON.
`;

/** apipb.DefinedType. */
const definedTypes: Readonly<Record<string, number>> = {
  prefix: 0,
  neighbor: 1,
  tag: 2,
  'as-path': 3,
  community: 4,
  'ext-community': 5,
  'large-community': 6,
  'next-hop': 7,
};

/** apipb.PolicyDirection. */
const directions: Readonly<Record<string, number>> = { import: 1, export: 2 };

type PolicyMethod = 'ListPolicy' | 'ListDefinedSet' | 'ListPolicyAssignment';

/**
 * A server-streaming call of the policy methods, which ApiClient does not wrap yet:
 * made with the same target, credentials and token as the ApiClient of the run.
 */
async function* listStream(options: ApiClientOptions, method: PolicyMethod, request: object): AsyncGenerator<unknown> {
  const definition = apiPackageDefinition()[serviceName] as grpc.ServiceDefinition;
  const m = definition[method];
  if (m === undefined) throw new Error(`${serviceName} has no method ${method}`);
  const tls = options.tls;
  const creds = tls === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(tls.rootCerts ?? null, tls.privateKey ?? null, tls.certChain ?? null);
  const client = new grpc.Client(options.target ?? '127.0.0.1:50051', creds);
  const metadata = new grpc.Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  const call = client.makeServerStreamRequest<unknown, unknown>(m.path, m.requestSerialize, m.responseDeserialize, request, metadata, {});
  try {
    for await (const item of call) yield item;
  } finally {
    call.cancel();
    client.close();
  }
}

/** Per method: the response field holding the item, and its message type. */
const items: Readonly<Record<PolicyMethod, { readonly field: string; readonly type: string }>> = {
  ListPolicy: { field: 'policy', type: 'apipb.Policy' },
  ListDefinedSet: { field: 'defined_set', type: 'apipb.DefinedSet' },
  ListPolicyAssignment: { field: 'assignment', type: 'apipb.PolicyAssignment' },
};

async function printAll(ctx: CommandContext, what: string, method: PolicyMethod, request: object): Promise<number> {
  const { field, type } = items[method];
  const answers = await ctx.connection.call(what, async () => {
    const out: unknown[] = [];
    for await (const r of listStream(ctx.connection.clientOptions, method, request)) out.push((r as Record<string, unknown>)[field]);
    return out;
  });
  for (const answer of answers) ctx.io.out(jsonLine(apiMessageJson(answer, type)));
  return exitOk;
}

/** `global policy` / `neighbor ADDR policy`: the assignment of `name` ("global" or an address). */
export async function showAssignment(ctx: CommandContext, name: string, args: readonly string[], usage: string): Promise<number> {
  if (args.length > 1) throw new UsageError(`unexpected "${args[1]}"`, usage);
  const direction = args[0] === undefined ? 0 : directions[args[0]];
  if (direction === undefined) throw new UsageError(`expected import or export, got "${args[0]}"`, usage);
  const title = `${name === 'global' ? 'global' : `neighbor ${name}`} policy${args[0] === undefined ? '' : ` ${args[0]}`}`;
  return printAll(ctx, title, 'ListPolicyAssignment', { name, direction });
}

async function run(ctx: CommandContext): Promise<number> {
  const [first, second, ...rest] = ctx.words;
  if (first !== undefined && first in definedTypes) {
    if (rest.length > 0) throw new UsageError(`unexpected "${rest[0]}"`, policyUsage);
    return printAll(ctx, `policy ${first}${second === undefined ? '' : ` ${second}`}`, 'ListDefinedSet', { defined_type: definedTypes[first], name: second ?? '' });
  }
  if (second !== undefined) throw new UsageError(`unexpected "${second}" (a set type is one of ${Object.keys(definedTypes).join(', ')})`, policyUsage);
  return printAll(ctx, first === undefined ? 'policy' : `policy ${first}`, 'ListPolicy', { name: first ?? '' });
}

export const policyCommand: Command = { name: 'policy', options: [], isRemote: true, usage: policyUsage, help, run };
