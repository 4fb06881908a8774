// Loading of the API's .proto files (<package root>/proto): the gRPC service definition
// through @grpc/proto-loader for the server and client, and a protobufjs Root for the
// messages packed into google.protobuf.Any (path attributes, NLRI, capabilities).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export const protoFiles = ['gobgp.proto', 'attribute.proto', 'capability.proto'] as const;

/** Where the API listens unless told otherwise (gobgpd's default too). */
export const defaultApiHosts = '127.0.0.1:50051';

/** The service's full name, as method paths spell it: /apipb.GobgpApi/<Method>. */
export const serviceName = 'apipb.GobgpApi';

/**
 * How messages become objects (see apipb.ts). Enums and 64-bit integers as numbers:
 * ASNs are uint32 and fit anyway; counters (uint64) stay below 2^53 in any real run.
 */
export const loaderOptions: Options = {
  keepCase: true,
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  oneofs: true,
};

/**
 * The folder holding the .proto files. This module runs as src/api/protos.ts (tests
 * from source) or dist/src/api/protos.js (the package), so the folder is looked for
 * upwards from here rather than at a fixed depth.
 */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, protoFiles[0]))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`the API's proto files (${protoFiles.join(', ')}) were not found in a "proto" folder above ${fileURLToPath(import.meta.url)}`);
}

let packageDefinition: PackageDefinition | undefined;
let root: protobuf.Root | undefined;

/** The proto-loader definition of every file (loaded once). */
export function apiPackageDefinition(): PackageDefinition {
  packageDefinition ??= loadSync([...protoFiles], { ...loaderOptions, includeDirs: [protoDir()] });
  return packageDefinition;
}

/** The protobufjs Root of every file (loaded once), for Any payloads. */
export function apiRoot(): protobuf.Root {
  if (root === undefined) {
    const dir = protoDir();
    const r = new protobuf.Root();
    // Well-known imports resolve to protobufjs's bundled copies.
    r.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(dir, target));
    r.loadSync([...protoFiles], { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}
