// Our .proto files against the GoBGP v3 API the installed gobgp CLI was built with: the
// Go binary embeds each file's FileDescriptorProto (protobuf-go's raw descriptor), so
// every message, field number, type and method we declare is compared with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { apiPackageDefinition, apiRoot, protoDir, serviceName } from './protos.js';

/** The FileDescriptorProto of `name` inside a Go binary: read field by field until one is not valid. */
function embeddedDescriptor(binary: Buffer, name: string): Buffer {
  const needle = Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]);
  for (let at = binary.indexOf(needle); at >= 0; at = binary.indexOf(needle, at + 1)) {
    let pos = at;
    const varint = (): number => {
      let value = 0;
      for (let shift = 0; shift < 35; shift += 7) {
        const b = binary[pos++]!;
        value += (b & 0x7f) * 2 ** shift;
        if ((b & 0x80) === 0) return value;
      }
      return -1;
    };
    // FileDescriptorProto fields 1-14 are all varints or length-delimited.
    for (;;) {
      const start = pos;
      const tag = varint();
      const field = Math.floor(tag / 8);
      const wireType = tag & 7;
      if (field < 1 || field > 14 || (wireType !== 0 && wireType !== 2)) {
        pos = start;
        break;
      }
      const value = varint();
      if (wireType === 2) pos += value;
    }
    const candidate = binary.subarray(at, pos);
    const decoded = descriptor.FileDescriptorProto.decode(candidate) as unknown as { package?: string };
    if (decoded.package === 'apipb') return candidate;
  }
  throw new Error(`no descriptor of ${name} in the binary`);
}

function gobgpRoot(): protobuf.Root {
  const path = execFileSync('sh', ['-c', 'command -v gobgp'], { encoding: 'utf8', timeout: 5000 }).trim();
  const binary = readFileSync(path);
  const wellKnown = new protobuf.Root();
  for (const file of ['google/protobuf/any.proto', 'google/protobuf/empty.proto', 'google/protobuf/timestamp.proto']) wellKnown.addJSON(protobuf.common.get(file)?.['nested'] ?? {});
  const files = [...(wellKnown.toDescriptor('proto3') as unknown as { file: unknown[] }).file, ...['gobgp.proto', 'attribute.proto', 'capability.proto'].map((n) => descriptor.FileDescriptorProto.decode(embeddedDescriptor(binary, n)))];
  return (protobuf.Root as unknown as { fromDescriptor(d: unknown): protobuf.Root }).fromDescriptor({ file: files });
}

function typeName(f: protobuf.Field): string {
  f.resolve();
  return f.resolvedType === null ? f.type : f.resolvedType.fullName;
}

test('every message, enum and method we declare matches the gobgp binary', () => {
  const theirs = gobgpRoot();
  const problems: string[] = [];
  let fields = 0;
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const item of ns.nestedArray) {
      if (item.fullName.startsWith('.google')) continue;
      if (item instanceof protobuf.Type) {
        const other = theirs.lookup(item.fullName);
        if (!(other instanceof protobuf.Type)) {
          problems.push(`${item.fullName}: not in GoBGP`);
          continue;
        }
        for (const f of item.fieldsArray) {
          // Numbers from 1000 up are tsbgp's own extensions.
          if (f.id >= 1000) continue;
          fields++;
          const g = other.fields[f.name];
          if (g === undefined) problems.push(`${item.fullName}.${f.name}: not in GoBGP`);
          else if (g.id !== f.id || typeName(g) !== typeName(f) || g.repeated !== f.repeated || g.partOf?.name !== f.partOf?.name) problems.push(`${item.fullName}.${f.name}: ${f.id} ${typeName(f)} vs GoBGP ${g.id} ${typeName(g)}`);
        }
      } else if (item instanceof protobuf.Enum) {
        const other = theirs.lookup(item.fullName);
        if (!(other instanceof protobuf.Enum)) problems.push(`${item.fullName}: not in GoBGP`);
        else for (const [k, v] of Object.entries(item.values)) if (other.values[k] !== v) problems.push(`${item.fullName}.${k}: ${v} vs GoBGP ${other.values[k]}`);
      } else if (item instanceof protobuf.Service) {
        const other = theirs.lookupService(item.fullName);
        for (const m of item.methodsArray) {
          const g = other.methods[m.name];
          m.resolve();
          g?.resolve();
          const same = g !== undefined && g.resolvedRequestType?.fullName === m.resolvedRequestType?.fullName && g.resolvedResponseType?.fullName === m.resolvedResponseType?.fullName && !!g.requestStream === !!m.requestStream && !!g.responseStream === !!m.responseStream;
          if (!same) problems.push(`${item.fullName}.${m.name}: differs from GoBGP`);
        }
      }
      if (item instanceof protobuf.Namespace || item instanceof protobuf.Type) walk(item);
    }
  };
  walk(apiRoot());
  assert.deepEqual(problems, []);
  assert.ok(fields > 400, `only ${fields} fields compared`);
});

test('the proto files are found and define the service gobgp calls', () => {
  assert.match(protoDir(), /proto$/);
  const service = apiPackageDefinition()[serviceName] as Record<string, { path: string }>;
  assert.equal(service['GetBgp']?.path, '/apipb.GobgpApi/GetBgp');
  assert.equal(service['WatchEvent']?.path, '/apipb.GobgpApi/WatchEvent');
});
