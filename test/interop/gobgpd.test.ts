// tsbgpd against a real gobgpd (GoBGP 3.10): sessions both ways, routes, withdrawals,
// shutdown communication. gobgpd shows the received RFC 9003 text only in its log.

import { describePeerInterop } from './peer-suite.js';
import { Gobgpd } from './gobgpd.js';

describePeerInterop('gobgpd', (scope, options) => new Gobgpd(scope, options));
