#!/usr/bin/env node
// Copies the browser page's static files (and the protocol document its API page links to) into dist/web.
const { cpSync, copyFileSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });
cpSync(join(root, 'apps', 'web', 'public'), out, { recursive: true });
copyFileSync(join(root, 'docs', 'PROTOCOL.md'), join(out, 'PROTOCOL.md'));
