#!/usr/bin/env node
// The `cadenza` command: runs the TypeScript sources through tsx, so the CLI is always the code in src/.
import { register } from 'tsx/esm/api';

register();
const { exitQuietlyOnClosedPipe } = await import('../src/cli/output.ts');
exitQuietlyOnClosedPipe();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
