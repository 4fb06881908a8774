// gobgpd's `[[mrt-dump]]` section as tsbgpd reads it (`[mrt-dump.config]` with dump-type,
// file-name, table-name, dump-interval, rotation-interval), and file names in Go's time
// layout ("/var/log/20060102.1504.dump") as gobgpd expands them.

import { childPath } from './config-locate.js';
import type { Checker } from './config-checker.js';

/** One `[[mrt-dump]]` entry. */
export interface MrtDumpConfig {
  /** "table": TABLE_DUMP_V2 of the Loc-RIB every `dumpIntervalSec`; "updates": BGP4MP of every UPDATE received. */
  readonly dumpType: 'table' | 'updates';
  /** File name, expanded with Go's time layout at each dump or rotation. */
  readonly fileName: string;
  /** table: seconds between dumps. */
  readonly dumpIntervalSec: number;
  /** updates: seconds between new files (0: one file). */
  readonly rotationIntervalSec: number;
}

const entryKeys = { supported: ['config'], known: ['state'] };
const configKeys = { supported: ['dump-type', 'file-name', 'dump-interval', 'rotation-interval', 'table-name'], known: [] };

/** Reads the top-level `mrt-dump` array (absent: no dumps). */
export function readMrtDump(c: Checker, value: unknown): readonly MrtDumpConfig[] {
  if (value === undefined) return [];
  return c.array(value, 'mrt-dump').map((item, i) => {
    const path = `mrt-dump[${i}]`;
    const entry = c.table(item, path, entryKeys);
    const cfg = c.optionalTable(entry, 'config', path, configKeys);
    const at = (key: string): string => childPath(`${path}.config`, key);
    if (cfg === undefined) c.failWith(path, 'needs a [mrt-dump.config] table with dump-type and file-name');
    const type = cfg['dump-type'];
    if (type !== 'table' && type !== 'updates') c.fail(at('dump-type'), '"table" or "updates"', type);
    if (cfg['file-name'] === undefined) c.failWith(at('file-name'), 'is required');
    const fileName = c.string(cfg['file-name'], at('file-name'));
    if (cfg['table-name'] !== undefined) {
      c.string(cfg['table-name'], at('table-name'));
      c.warn(at('table-name'), 'names a VRF table; tsbgpd has only the global RIB, which it dumps (ignored)');
    }
    const dumpIntervalSec = cfg['dump-interval'] === undefined ? 0 : c.integer(cfg['dump-interval'], at('dump-interval'), 1, 86400 * 7, 'seconds from 1 to 604800');
    const rotationIntervalSec = cfg['rotation-interval'] === undefined ? 0 : c.integer(cfg['rotation-interval'], at('rotation-interval'), 1, 86400 * 7, 'seconds from 1 to 604800');
    // gobgpd dumps a table every 60 s when no interval is given.
    if (type === 'table') return { dumpType: type, fileName, dumpIntervalSec: dumpIntervalSec === 0 ? 60 : dumpIntervalSec, rotationIntervalSec: 0 };
    return { dumpType: type, fileName, dumpIntervalSec: 0, rotationIntervalSec };
  });
}

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * Expands Go's reference-time layout elements in `layout` with `date` (UTC): 2006 06
 * January Jan 01 1 Monday Mon 02 _2 2 15 03 3 04 4 05 5 PM pm MST -0700 -07:00 Z0700
 * Z07:00. Like Go, every digit that forms an element is replaced, wherever it stands.
 */
export function formatGoTime(layout: string, date: Date): string {
  const y = date.getUTCFullYear();
  const mo = date.getUTCMonth();
  const d = date.getUTCDate();
  const h = date.getUTCHours();
  const mi = date.getUTCMinutes();
  const s = date.getUTCSeconds();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  // Longest first where one element begins another (Go's order).
  const elements: readonly [string, () => string][] = [
    ['January', () => monthNames[mo]!],
    ['Jan', () => monthNames[mo]!.slice(0, 3)],
    ['Monday', () => dayNames[date.getUTCDay()]!],
    ['Mon', () => dayNames[date.getUTCDay()]!.slice(0, 3)],
    ['MST', () => 'UTC'],
    ['Z07:00', () => 'Z'],
    ['Z0700', () => 'Z'],
    ['-07:00', () => '+00:00'],
    ['-0700', () => '+0000'],
    ['2006', () => String(y)],
    ['06', () => two(y % 100)],
    ['01', () => two(mo + 1)],
    ['02', () => two(d)],
    ['_2', () => String(d).padStart(2, ' ')],
    ['15', () => two(h)],
    ['03', () => two(h12)],
    ['04', () => two(mi)],
    ['05', () => two(s)],
    ['PM', () => (h >= 12 ? 'PM' : 'AM')],
    ['pm', () => (h >= 12 ? 'pm' : 'am')],
    ['1', () => String(mo + 1)],
    ['2', () => String(d)],
    ['3', () => String(h12)],
    ['4', () => String(mi)],
    ['5', () => String(s)],
  ];
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const [element, value] of elements) {
      if (layout.startsWith(element, i)) {
        out += value();
        i += element.length;
        continue outer;
      }
    }
    out += layout[i];
    i++;
  }
  return out;
}
