#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between
// `npm install` and `npm start`, and no compiled output to drift from the sources.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
