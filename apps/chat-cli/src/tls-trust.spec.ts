import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { rootCertificates } from 'node:tls';

import { UsageError } from './cli-options';
import { TlsTrust } from './tls-trust';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe(TlsTrust.name, () => {
  const root = mkdtempSync(join(tmpdir(), 'chat-cli-trust-'));
  writeFileSync(join(root, 'package.json'), '{}');
  mkdirSync(join(root, 'dist', 'apps', 'chat-cli', 'src'), { recursive: true });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('finds the package root from dist/apps/chat-cli/src', () => {
    assert.equal(
      TlsTrust.packageRoot(join(root, 'dist', 'apps', 'chat-cli', 'src')),
      root,
    );
  });

  it('trusts only the system CAs when the project has no development certificate', () => {
    const sut = TlsTrust.create({}, root);
    assert.deepEqual(sut.settings, {
      ca: [...rootCertificates],
      rejectUnauthorized: true,
    });
    assert.equal(sut.source, undefined);
  });

  it('adds certs/server.crt to the system CAs when it exists', () => {
    mkdirSync(join(root, 'certs'), { recursive: true });
    writeFileSync(join(root, 'certs', 'server.crt'), PEM);
    const sut = TlsTrust.create({}, root);
    assert.equal(sut.settings.ca.length, rootCertificates.length + 1);
    assert.equal(sut.settings.ca.at(-1), PEM);
    assert.equal(sut.settings.rejectUnauthorized, true);
  });

  it('uses --ca FILE instead, and explains an unreadable or non-PEM file', () => {
    const file = join(root, 'other.crt');
    writeFileSync(file, PEM.replace('MIIB', 'MIIC'));
    assert.match(
      TlsTrust.create({ ca: file }, root).settings.ca.at(-1) ?? '',
      /MIIC/,
    );
    assert.throws(
      () => TlsTrust.create({ ca: join(root, 'missing.crt') }, root),
      UsageError,
    );
    writeFileSync(file, 'not a certificate');
    assert.throws(
      () => TlsTrust.create({ ca: file }, root),
      /is not a PEM certificate/,
    );
  });

  it('turns checking off with --insecure', () => {
    assert.equal(
      TlsTrust.create({ insecure: true }, root).settings.rejectUnauthorized,
      false,
    );
  });
});
