// A BGP listener that brings one peer daemon to Established and records every UPDATE
// it sends, to capture the real bytes kept in src/wire/fixtures/update-*.ts. Its OPEN
// is written byte by byte here (4-octet AS and ADD-PATH receive are options), so the
// recording does not depend on the codec under test. Loopback only.
// Usage: node dist/test/capture/update-recorder.js --port N --as N --out FILE
//        [--host 127.0.0.1] [--as2] [--addpath] [--seconds N]

import { createServer, type Socket } from 'node:net';
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    as: { type: 'string' },
    out: { type: 'string' },
    as2: { type: 'boolean', default: false },
    addpath: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '30' },
  },
});
if (values.port === undefined || values.as === undefined || values.out === undefined) {
  console.error('usage: update-recorder --port N --as N --out FILE [--host ADDR] [--as2] [--addpath] [--seconds N]');
  process.exit(2);
}
if (!values.host.startsWith('127.')) {
  console.error('update-recorder listens on loopback (127.0.0.0/8) only');
  process.exit(2);
}
const myAs = Number(values.as);
const outFile = values.out;

const marker = Buffer.alloc(16, 0xff);

function message(type: number, body: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt16BE(19 + body.length, 0);
  head[2] = type;
  return Buffer.concat([marker, head, body]);
}

/** RFC 5492 capability: code, length, value. */
function capability(code: number, value: number[]): number[] {
  return [code, value.length, ...value];
}

function ourOpen(): Buffer {
  const caps: number[] = [
    ...capability(1, [0, 1, 0, 1]), // multiprotocol IPv4 unicast (RFC 4760 8)
    ...capability(1, [0, 2, 0, 1]), // multiprotocol IPv6 unicast
    ...capability(2, []), // route refresh (RFC 2918)
  ];
  if (!values.as2) caps.push(...capability(65, [(myAs >>> 24) & 0xff, (myAs >>> 16) & 0xff, (myAs >>> 8) & 0xff, myAs & 0xff])); // RFC 6793
  // ADD-PATH (RFC 7911 4): receive (1) for IPv4 and IPv6 unicast.
  if (values.addpath) caps.push(...capability(69, [0, 1, 1, 1, 0, 2, 1, 1]));
  const param = [2, caps.length, ...caps];
  const twoOctetAs = myAs > 0xffff ? 23456 : myAs;
  const body = Buffer.from([4, twoOctetAs >> 8, twoOctetAs & 0xff, 0, 240, 127, 0, 0, 200, param.length, ...param]);
  return message(1, body);
}

const keepalive = message(4, Buffer.alloc(0));

function record(socket: Socket, bytes: Buffer): void {
  const line = { from: `${socket.remoteAddress}:${socket.remotePort}`, type: bytes[18], hex: bytes.toString('hex') };
  appendFileSync(outFile, JSON.stringify(line) + '\n');
  console.log(`${line.from} type ${line.type} length ${bytes.length}`);
}

const sockets = new Set<Socket>();
const server = createServer((socket) => {
  sockets.add(socket);
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    // Bounded by the data received: each turn consumes one whole message or stops.
    while (pending.length >= 19) {
      const length = pending.readUInt16BE(16);
      if (length < 19) {
        socket.destroy();
        return;
      }
      if (pending.length < length) break;
      const bytes = pending.subarray(0, length);
      pending = pending.subarray(length);
      record(socket, bytes);
      if (bytes[18] === 1) socket.write(Buffer.concat([ourOpen(), keepalive]));
      if (bytes[18] === 4) socket.write(keepalive);
    }
  });
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', (err) => console.log(`socket error: ${err.message}`));
});
server.listen(Number(values.port), values.host, () => console.log(`listening on ${values.host}:${values.port}`));
// Stop by itself so a forgotten recorder never lingers.
setTimeout(() => {
  for (const s of sockets) s.destroy();
  server.close();
}, Number(values.seconds) * 1000).unref();
setTimeout(() => process.exit(0), Number(values.seconds) * 1000 + 500);
