#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts and prints figures with the machine they ran on.
import { register } from 'tsx/esm/api';

register();
const { runBenchmarks } = await import('../bench/run.ts');
process.exitCode = await runBenchmarks(process.argv.slice(2));
