// tsbgpd against a real BIRD 2: sessions both ways, routes, withdrawals, shutdown
// communication (shown by `birdc show protocols all` as "Message:").

import { describePeerInterop } from './peer-suite.js';
import { Bird } from './bird.js';

describePeerInterop('bird', (scope, options) => new Bird(scope, options));
