import { NextFunction, Request, Response } from 'express';

/** Every HTTPS response tells browsers to use only HTTPS for this host for `maxAgeSeconds` (HSTS_MAX_AGE_SECONDS). */
export function hsts(
  maxAgeSeconds: number,
): (req: Request, res: Response, next: NextFunction) => void {
  const value = `max-age=${maxAgeSeconds}`;
  return (_req, res, next) => {
    res.setHeader('Strict-Transport-Security', value);
    next();
  };
}
