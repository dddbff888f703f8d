import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { rootCertificates } from 'node:tls';

import { UsageError } from './cli-options';

/** The TLS options both the login request and the WebSocket use. */
export interface TlsSettings {
  ca: string[];
  rejectUnauthorized: boolean;
}

/**
 * Which certificates the client trusts: the system CAs plus either `--ca FILE` or, by default, the
 * project's development certificate (certs/server.crt) when it exists. `--insecure` turns checks off.
 */
export class TlsTrust {
  private constructor(
    readonly settings: TlsSettings,
    /** Where the extra trusted certificate came from, for messages; undefined when there is none. */
    readonly source: string | undefined,
  ) {}

  static create(
    options: { ca?: string; insecure?: boolean },
    root = TlsTrust.packageRoot(__dirname),
  ): TlsTrust {
    if (options.insecure)
      return new TlsTrust(
        { ca: [...rootCertificates], rejectUnauthorized: false },
        undefined,
      );
    if (options.ca)
      return new TlsTrust(
        {
          ca: [...rootCertificates, TlsTrust.read(options.ca)],
          rejectUnauthorized: true,
        },
        options.ca,
      );
    const devCert = root ? join(root, 'certs', 'server.crt') : undefined;
    if (!devCert || !existsSync(devCert))
      return new TlsTrust(
        { ca: [...rootCertificates], rejectUnauthorized: true },
        undefined,
      );
    const shown = relative(process.cwd(), devCert) || devCert;
    return new TlsTrust(
      {
        ca: [...rootCertificates, readFileSync(devCert, 'utf8')],
        rejectUnauthorized: true,
      },
      shown,
    );
  }

  /** The nearest folder at or above `from` that holds a package.json (the repository root, from dist/ or src/). */
  static packageRoot(from: string): string | undefined {
    for (let dir = from; ; dir = dirname(dir)) {
      if (existsSync(join(dir, 'package.json'))) return dir;
      if (dirname(dir) === dir) return undefined;
    }
  }

  private static read(file: string): string {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `Cannot read the certificate given with --ca: ${(error as Error).message}`,
      );
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      throw new UsageError(
        `--ca ${file} is not a PEM certificate (expected "-----BEGIN CERTIFICATE-----")`,
      );
    }
    return text;
  }
}
