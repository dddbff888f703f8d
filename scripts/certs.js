#!/usr/bin/env node
'use strict';
// Writes a self-signed development certificate for localhost and 127.0.0.1.
// Usage: node scripts/certs.js [--if-missing] [--force] [--dir DIR]
const { existsSync, mkdirSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const DEFAULT_DIR = resolve(__dirname, '..', 'certs');
const VALID_DAYS = 825;

async function generateDevCertificate(dir = DEFAULT_DIR) {
  const selfsigned = require('selfsigned');
  const notAfterDate = new Date(Date.now() + VALID_DAYS * 24 * 3600 * 1000);
  const pems = await selfsigned.generate(
    [{ name: 'commonName', value: 'localhost' }],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
            { type: 7, ip: '::1' },
          ],
        },
      ],
    },
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.key'), pems.private, { mode: 0o600 });
  writeFileSync(join(dir, 'server.crt'), pems.cert);
}

/** Creates the development certificate unless both files already exist; true when it wrote them. */
async function ensureDevCertificate(dir = DEFAULT_DIR, force = false) {
  const present =
    existsSync(join(dir, 'server.crt')) && existsSync(join(dir, 'server.key'));
  if (present && !force) return false;
  await generateDevCertificate(dir);
  return true;
}

async function main(argv) {
  const force = argv.includes('--force');
  const ifMissing = argv.includes('--if-missing');
  const dirIndex = argv.indexOf('--dir');
  const dir = dirIndex >= 0 ? resolve(argv[dirIndex + 1]) : DEFAULT_DIR;
  if (argv.includes('--help')) {
    console.log(
      'Usage: npm run certs [-- --force] [-- --dir DIR]\nWrites server.crt and server.key (self-signed, localhost and 127.0.0.1).',
    );
    return 0;
  }
  if (await ensureDevCertificate(dir, force)) {
    console.log('Generated server.crt and server.key');
    return 0;
  }
  if (!ifMissing) {
    console.error(
      `${join(dir, 'server.crt')} and server.key already exist; run "npm run certs -- --force" to replace them.`,
    );
  }
  return 0;
}

module.exports = { DEFAULT_DIR, ensureDevCertificate };

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(
        `Could not write the development certificate: ${err.message}`,
      );
      process.exit(1);
    },
  );
}
