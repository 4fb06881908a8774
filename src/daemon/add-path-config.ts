// A neighbor's (or peer group's) ADD-PATH keys (RFC 7911; gobgpd's `add-paths.config`
// with receive and send-max, for the neighbor and per family in afi-safis), and the
// capability modes and send limits they give a session. config.ts hooks the readers in.

import { Afi, Safi } from '../lib/address.js';
import { familyKey, type FamilyKey } from '../wire/context.js';
import { AddPathMode } from '../wire/capability-types.js';
import { childPath } from './config-locate.js';
import type { Checker, Table } from './config-checker.js';

/** `add-paths.config` as written, for the neighbor or one family (undefined: not written). */
export interface AddPathSettings {
  readonly isReceive?: boolean;
  readonly sendMax?: number;
}

/** One afi-safis entry's `add-paths.config`. */
export interface FamilyAddPathSettings extends AddPathSettings {
  readonly family: FamilyKey;
}

/** A family's ADD-PATH in force: take several paths per prefix, send up to `sendMax` (0: the best only). */
export interface AddPathConfig {
  readonly family: FamilyKey;
  readonly isReceive: boolean;
  readonly sendMax: number;
}

/** send-max is one octet in gobgpd. */
export const maxSendMax = 255;

const withConfig = { supported: ['config'], known: ['state'] };
const addPathKeys = { supported: ['receive', 'send-max'], known: [] };

const familyNames: Readonly<Record<string, FamilyKey>> = {
  'ipv4-unicast': familyKey(Afi.ipv4, Safi.unicast),
  'ipv6-unicast': familyKey(Afi.ipv6, Safi.unicast),
};

function readConfig(c: Checker, tbl: Table, path: string): AddPathSettings | undefined {
  const ap = c.optionalTable(tbl, 'add-paths', path, withConfig);
  const apPath = childPath(path, 'add-paths');
  const cfg = ap === undefined ? undefined : c.optionalTable(ap, 'config', apPath, addPathKeys);
  if (cfg === undefined) return undefined;
  const at = (key: string): string => childPath(childPath(apPath, 'config'), key);
  return {
    ...(cfg['receive'] === undefined ? {} : { isReceive: c.bool(cfg['receive'], at('receive')) }),
    ...(cfg['send-max'] === undefined ? {} : { sendMax: c.integer(cfg['send-max'], at('send-max'), 0, maxSendMax, `0 (send the best path only) or up to ${maxSendMax} paths per prefix`) }),
  };
}

/** The neighbor's (or group's) `add-paths.config`, if written. */
export function readAddPaths(c: Checker, tbl: Table, path: string): { readonly value: AddPathSettings; readonly path: string } | undefined {
  const value = readConfig(c, tbl, path);
  return value === undefined ? undefined : { value, path: childPath(path, 'add-paths') };
}

/**
 * Each enabled family's `afi-safis[].add-paths.config`; a list (maybe empty) whenever
 * afi-safis is written, so that a neighbor's afi-safis replaces its group's as a whole.
 */
export function readAfiSafiAddPaths(c: Checker, tbl: Table, path: string): { readonly value: readonly FamilyAddPathSettings[]; readonly path: string } | undefined {
  const list = tbl['afi-safis'];
  if (!Array.isArray(list)) return undefined;
  const out: FamilyAddPathSettings[] = [];
  list.forEach((item: unknown, i) => {
    const itemPath = `${childPath(path, 'afi-safis')}[${i}]`;
    const entry = item as Table;
    const cfg = entry['config'] as Table | undefined;
    const family = familyNames[String(cfg?.['afi-safi-name'])];
    if (family === undefined || cfg?.['enabled'] === false) return;
    const settings = readConfig(c, entry, itemPath);
    if (settings !== undefined) out.push({ family, ...settings });
  });
  return { value: out, path: childPath(path, 'afi-safis') };
}

/**
 * The ADD-PATH of each of the neighbor's families: the family's own keys, else the
 * neighbor's (as gobgpd fills afi-safis from the neighbor's add-paths); undefined when
 * no family receives or sends several paths.
 */
export function buildAddPaths(neighbor: AddPathSettings | undefined, perFamily: readonly FamilyAddPathSettings[] | undefined, families: readonly FamilyKey[]): readonly AddPathConfig[] | undefined {
  const out: AddPathConfig[] = [];
  for (const family of families) {
    const own = perFamily?.find((f) => f.family === family);
    const isReceive = own?.isReceive ?? neighbor?.isReceive ?? false;
    const sendMax = own?.sendMax ?? neighbor?.sendMax ?? 0;
    if (isReceive || sendMax > 0) out.push({ family, isReceive, sendMax });
  }
  return out.length === 0 ? undefined : out;
}

/** The modes our ADD-PATH capability offers (RFC 7911 4): receive and/or send per family. */
export function addPathModes(config: readonly AddPathConfig[]): Map<FamilyKey, AddPathMode> {
  const modes = new Map<FamilyKey, AddPathMode>();
  for (const f of config) {
    const mode = (f.isReceive ? AddPathMode.receive : 0) | (f.sendMax > 0 ? AddPathMode.send : 0);
    if (mode !== 0) modes.set(f.family, mode as AddPathMode);
  }
  return modes;
}

/**
 * The families a session sends several paths in, each with its send-max: those we
 * offered to send whose send the peer accepted (the negotiated tx context's addPath).
 */
export function addPathSendOf(config: readonly AddPathConfig[] | undefined, negotiatedTx: ReadonlySet<FamilyKey> | undefined): ReadonlyMap<FamilyKey, number> | undefined {
  if (config === undefined || negotiatedTx === undefined || negotiatedTx.size === 0) return undefined;
  const out = new Map<FamilyKey, number>();
  for (const f of config) if (f.sendMax > 0 && negotiatedTx.has(f.family)) out.set(f.family, f.sendMax);
  return out.size === 0 ? undefined : out;
}

/** The addPathSend field of a propagation target: present when the session sends several paths somewhere. */
export function withAddPathSend(config: readonly AddPathConfig[] | undefined, negotiatedTx: ReadonlySet<FamilyKey> | undefined): { readonly addPathSend?: ReadonlyMap<FamilyKey, number> } {
  const addPathSend = addPathSendOf(config, negotiatedTx);
  return addPathSend === undefined ? {} : { addPathSend };
}
