#!/usr/bin/env node
// The `vigil` command: loads the TypeScript CLI through tsx and exits with its status.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
