import {
  BadRequestException,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { NextFunction, Request, Response } from 'express';

function validationMessages(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [
    ...Object.values(error.constraints ?? {}),
    ...validationMessages(error.children ?? []),
  ]);
}

export const httpValidationPipe = new ValidationPipe({
  whitelist: true,
  exceptionFactory: (errors) =>
    new BadRequestException(validationMessages(errors).join('; ')),
});

/** Body-parser failures (bad JSON, too large) as JSON errors instead of an HTML page. */
export function httpErrorHandler(
  err: { status?: number; type?: string },
  _req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (!err || typeof err.status !== 'number') return next(err);
  const message =
    err.type === 'entity.too.large'
      ? 'Request body is too large'
      : err.type === 'entity.parse.failed'
        ? 'Request body is not valid JSON'
        : 'Bad request';
  res.status(err.status).json({ statusCode: err.status, message });
}
