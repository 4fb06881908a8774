#!/usr/bin/env node
// The tsbgpd daemon; the code is in src/daemon/main.ts (built into dist/).
import { main } from '../dist/src/daemon/main.js';

await main();
