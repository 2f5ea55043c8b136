#!/usr/bin/env node
// Launcher: the project is TypeScript run through tsx, so `npx dcc-sim` works right after `npm ci`.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
