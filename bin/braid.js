#!/usr/bin/env node
// The `braid` command. TypeScript sources run through tsx's require hook, so
// a fresh clone needs no build step.
require('tsx/cjs');
require('../cli/main.ts');
