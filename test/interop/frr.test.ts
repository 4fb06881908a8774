// tsbgpd against a real FRR 8.4 bgpd (no zebra): sessions both ways, routes,
// withdrawals, shutdown communication (`show bgp neighbors json`: lastShutdownDescription).

import { describePeerInterop } from './peer-suite.js';
import { Frr } from './frr.js';

describePeerInterop('frr', (scope, options) => new Frr(scope, options));
