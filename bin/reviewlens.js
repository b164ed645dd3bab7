#!/usr/bin/env node
// Entry point of the `reviewlens` command: runs the TypeScript CLI through tsx's ESM loader,
// so the project needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
