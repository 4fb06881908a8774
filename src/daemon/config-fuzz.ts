// The config loader as fuzz targets (src/fuzz/): any text, TOML or YAML, must end in a
// DaemonConfig or a ConfigError naming the field, never in another exception. Seeded
// with the example configurations.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, type FuzzTarget } from '../fuzz/targets.js';
import { ConfigError, parseConfig } from './config.js';

function exampleFiles(ext: string): Uint8Array[] {
  const dir = join(repoRoot, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .map((f) => Uint8Array.from(readFileSync(join(dir, f))));
}

function configTarget(type: 'toml' | 'yaml'): FuzzTarget {
  return {
    name: `config-${type}`,
    seeds: () => exampleFiles(type === 'toml' ? '.toml' : '.yaml'),
    run(input) {
      parseConfig(new TextDecoder().decode(input), type, `fuzz.${type}`, { allowUnsupported: true });
    },
    isExpected: (err) => err instanceof ConfigError,
  };
}

export const configFuzzTargets: readonly FuzzTarget[] = [configTarget('toml'), configTarget('yaml')];
