#!/usr/bin/env node
/* Copies the non-TypeScript files the compiled code reads at run time (Lua scripts) into dist/, beside their .js. */
const { cpSync, readdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const ASSET = /\.lua$/;

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (ASSET.test(entry.name))
      cpSync(path, join(root, 'dist', relative(root, path)));
  }
}

for (const top of ['apps', 'libs']) walk(join(root, top));
