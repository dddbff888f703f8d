import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Response } from 'express';

/** `npm run build` writes the page here: dist/web beside dist/apps/gateway/src/main.js. */
export const WEB_ROOT = join(__dirname, '..', '..', '..', '..', 'web');

/*
 * The page is plain static files; it loads scripts and styles only from here. It talks to this origin and
 * to the ALLOWED_ORIGINS (the cluster's other instances, when an operator lists them), where it fails over.
 */
export function securityHeaders(
  allowedOrigins: string[] = [],
): Record<string, string> {
  const others = allowedOrigins.flatMap((origin) => [
    origin,
    origin.replace(/^http/, 'ws'),
  ]);
  return {
    'Content-Security-Policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
      `connect-src ${["'self'", ...others].join(' ')}; ` +
      "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  };
}

/** Serves the browser chat page at `/`; without a build, says how to make one. */
export function serveWebPage(
  app: NestExpressApplication,
  allowedOrigins: string[] = [],
  root = WEB_ROOT,
): void {
  if (!existsSync(join(root, 'index.html'))) {
    new Logger('WebPage').warn(
      `The browser page is not built (no ${join(root, 'index.html')}): run "npm run build"`,
    );
    return;
  }
  const headers = securityHeaders(allowedOrigins);
  app.useStaticAssets(root, {
    index: 'index.html',
    setHeaders: (res: Response) =>
      Object.entries(headers).forEach(([name, value]) =>
        res.setHeader(name, value),
      ),
  });
}
