#!/usr/bin/env node
'use strict';
// Starts the chat client; builds the project first when dist/ is missing (right after `npm ci`).
const { execSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'apps', 'chat-cli', 'src', 'main.js');

if (!existsSync(entry)) {
  process.stderr.write(
    'chat-cli: first run, building the project (npm run build)...\n',
  );
  try {
    execSync('npm run build', {
      cwd: root,
      stdio: ['ignore', process.stderr, process.stderr],
    });
  } catch (error) {
    process.stderr.write(
      `chat-cli: the build failed (${error.message.split('\n')[0]}); run "npm run build" to see why\n`,
    );
    process.exit(1);
  }
}

require(entry).run(process.argv.slice(2));
