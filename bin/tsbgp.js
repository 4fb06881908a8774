#!/usr/bin/env node
// The tsbgp command; the code is in src/cli/main.ts (built into dist/).
import { main } from '../dist/src/cli/main.js';

await main();
