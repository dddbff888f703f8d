import { HttpStatus, Injectable, NestMiddleware } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NextFunction, Request, Response } from 'express';

import { isOriginAllowed } from './origin';

/**
 * CORS for `/auth/*`, from ALLOWED_ORIGINS: an allowed origin is echoed (never `*`), any other gets
 * 403 before the request reaches a handler, so no page elsewhere can log in with a visitor's password.
 */
@Injectable()
export class AuthCorsMiddleware implements NestMiddleware {
  private readonly allowed: string[];

  constructor(config: ConfigService) {
    this.allowed = config.getOrThrow<string[]>('ALLOWED_ORIGINS');
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    res.vary('Origin');
    if (!isOriginAllowed(origin, this.allowed, req.headers.host)) {
      res.status(HttpStatus.FORBIDDEN).json({
        statusCode: HttpStatus.FORBIDDEN,
        message: `Pages from ${JSON.stringify(origin.slice(0, 100))} may not log in here: the server's operator can allow them in ALLOWED_ORIGINS`,
      });
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    // A page failing over to another instance must see how long a 429/503 asks it to wait.
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
    res.setHeader(
      'Access-Control-Allow-Headers',
      'Authorization, Content-Type',
    );
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(HttpStatus.NO_CONTENT).end();
  }
}
