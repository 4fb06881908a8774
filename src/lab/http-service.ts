// The lab's stand-in for the nginx pods: run with node inside a worker's namespace, it
// answers every HTTP request on the service address with the node's name, so the
// client sees which node its flow reached. Ends on SIGTERM/SIGINT.
//   node http-service.js --node k8s-node-01 --address 172.17.254.1 [--port 80]

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { node: { type: 'string' }, address: { type: 'string' }, port: { type: 'string', default: '80' } },
  strict: true,
});
const node = values.node;
const address = values.address;
const port = Number(values.port);
if (node === undefined || address === undefined || !(port >= 1 && port <= 65535)) {
  process.stderr.write('usage: http-service.js --node NAME --address ADDRESS [--port PORT]\n');
  process.exit(2);
}

const server = createServer((req, res) => {
  // One request per connection: each client request is a new flow for the router's hash.
  res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
  res.end(`${node}\n`);
  req.resume();
});
server.on('error', (err) => {
  process.stderr.write(`http-service ${node}: ${err.message}\n`);
  process.exit(1);
});
server.listen({ host: address, port }, () => process.stderr.write(`http-service ${node} listening on ${address}:${port}\n`));
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
