// Run inside a network namespace by socket.test.ts: a notification socket with the
// own-route filter for protocol bgp (186) in the main table, then route changes made
// with ip(8). Prints one JSON line: the route notifications received, each as
// "add|del prefix protocol table".

import { execFileSync } from 'node:child_process';
import { openRouteSocket } from '../socket.js';
import { RtmType, RtnlGroup, splitMessages } from '../netlink.js';
import { decodeRoute } from '../route-message.js';
import { formatPrefix } from '../../lib/address.js';

const socket = openRouteSocket();
const seen: string[] = [];
socket.listen(
  (datagram) => {
    for (const msg of splitMessages(datagram)) {
      const route = decodeRoute(msg);
      if (route === undefined) continue;
      seen.push(`${msg.type === RtmType.newRoute ? 'add' : 'del'} ${formatPrefix(route.dst)} ${route.protocol} ${route.table}`);
    }
  },
  (e) => seen.push(`error ${e.code}`),
);
socket.join(RtnlGroup.ipv4Route);
socket.dropOwnRouteAdds!(186, 254);
const ip = (...args: string[]): void => {
  execFileSync('ip', args);
};
ip('link', 'set', 'lo', 'up');
ip('route', 'add', '10.1.0.1/32', 'dev', 'lo', 'proto', 'bgp');
ip('route', 'add', '10.1.0.2/32', 'dev', 'lo', 'proto', 'static');
ip('route', 'add', '10.1.0.3/32', 'dev', 'lo', 'proto', 'bgp', 'table', '100');
ip('route', 'add', 'blackhole', '10.1.0.4/32', 'proto', 'bgp');
ip('route', 'replace', '10.1.0.1/32', 'dev', 'lo', 'proto', 'bgp', 'metric', '0');
ip('route', 'del', '10.1.0.1/32', 'proto', 'bgp');
setTimeout(() => {
  process.stdout.write(JSON.stringify(seen.filter((l) => l.includes(' 10.1.0.'))) + '\n');
  socket.close();
}, 300);
