#!/usr/bin/env node
'use strict';
// Creates an account (the way to add users with REGISTRATION=closed).
// Usage: npm run user:add -- NAME [--password-stdin]   (asks the password, or reads it from stdin)
// Uses the same settings as the gateway (REDIS_URL, ARGON2_*, PASSWORD_MIN_LENGTH) and its compiled code.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(
  __dirname,
  '..',
  'dist',
  'apps',
  'gateway',
  'src',
  'user-add.js',
);
if (!existsSync(compiled)) {
  process.stderr.write(
    'error: the gateway is not built yet: run "npm run build" first\n',
  );
  process.exit(1);
}
require(compiled).run(process.argv.slice(2));
