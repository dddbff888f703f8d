import { Logger } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Response } from 'express';

/** `npm run build` writes the page here: dist/web beside dist/apps/gateway/src/main.js. */
export const WEB_ROOT = join(__dirname, '..', '..', '..', '..', 'web');

/* The page is plain static files; it loads scripts and styles only from here and talks only to this origin. */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

/** Serves the browser chat page at `/`; without a build, says how to make one. */
export function serveWebPage(
  app: NestExpressApplication,
  root = WEB_ROOT,
): void {
  if (!existsSync(join(root, 'index.html'))) {
    new Logger('WebPage').warn(
      `The browser page is not built (no ${join(root, 'index.html')}): run "npm run build"`,
    );
    return;
  }
  app.useStaticAssets(root, {
    index: 'index.html',
    setHeaders: (res: Response) =>
      Object.entries(SECURITY_HEADERS).forEach(([name, value]) =>
        res.setHeader(name, value),
      ),
  });
}
