// A minimal BGP responder that records every message a peer daemon sends, to capture
// the real bytes kept in src/wire/fixtures. It answers an OPEN with its own OPEN and a
// KEEPALIVE, and each KEEPALIVE with a KEEPALIVE, so the daemon reaches Established.
// It offers Enhanced Route Refresh and asks for IPv4 unicast once, so the daemon's
// Beginning/End of RIB refresh messages (RFC 7313) are captured too.
// Usage: node dist/test/capture/capture-server.js PORT MY_AS OUT_FILE (loopback only).

import { createServer, type Socket } from 'node:net';
import { appendFileSync } from 'node:fs';
import { Framer } from '../../src/wire/framer.js';
import { encodeOpen } from '../../src/wire/open.js';
import { encodeKeepalive } from '../../src/wire/keepalive.js';
import { encodeRouteRefresh, RefreshSubtype } from '../../src/wire/route-refresh.js';
import { MessageType, maxExtendedMessageLength } from '../../src/wire/header.js';
import { defaultContext } from '../../src/wire/context.js';

const [portText, asText, outFile] = process.argv.slice(2);
if (portText === undefined || asText === undefined || outFile === undefined) {
  console.error('usage: capture-server PORT MY_AS OUT_FILE');
  process.exit(2);
}
const myAs = Number(asText);

const ourOpen = encodeOpen(
  {
    type: 'open',
    version: 4,
    myAs: myAs > 0xffff ? 23456 : myAs,
    holdTime: 240,
    bgpId: Uint8Array.of(127, 0, 0, 100),
    capabilities: [
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'route-refresh' },
      { kind: 'enhanced-route-refresh' },
      { kind: 'four-octet-as', asn: myAs },
    ],
  },
  defaultContext,
);

function record(socket: Socket, message: Uint8Array): void {
  const line = { from: `${socket.remoteAddress}:${socket.remotePort}`, type: message[18], hex: Buffer.from(message).toString('hex') };
  appendFileSync(outFile!, JSON.stringify(line) + '\n');
  console.log(`${line.from} type ${line.type} length ${message.length}`);
}

const server = createServer((socket) => {
  const framer = new Framer(maxExtendedMessageLength);
  let hasAskedRefresh = false;
  socket.on('data', (chunk: Buffer) => {
    for (const message of framer.push(chunk)) {
      record(socket, message);
      if (message[18] === MessageType.open) socket.write(Buffer.concat([ourOpen, encodeKeepalive()]));
      if (message[18] === MessageType.keepalive) {
        socket.write(encodeKeepalive());
        if (!hasAskedRefresh) socket.write(encodeRouteRefresh({ type: 'route-refresh', afi: 1, safi: 1, subtype: RefreshSubtype.request }));
        hasAskedRefresh = true;
      }
    }
  });
  socket.on('error', (err) => console.log(`socket error: ${err.message}`));
});
server.listen(Number(portText), '127.0.0.1', () => console.log(`listening on 127.0.0.1:${portText}`));
