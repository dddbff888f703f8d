import { ValidationError, ValidationPipe } from '@nestjs/common';

import { ErrorCode } from '@app/protocol';

import { ChatError } from './chat-error';

export function validationMessages(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [...Object.values(error.constraints ?? {}), ...validationMessages(error.children ?? [])]);
}

/* Only a string over the limit is TOO_LARGE; a number where text belongs also fails MaxLength, but is a BAD_REQUEST. */
const isTooLarge = (errors: ValidationError[]): boolean =>
  errors.some(
    (error) =>
      typeof error.value === 'string' &&
      Object.values(error.contexts ?? {}).some((context) => context?.code === ErrorCode.TooLarge),
  );

/** Validates frame payloads; unknown fields (a spoofed `from`, say) are dropped, not trusted. */
export const chatValidationPipe = new ValidationPipe({
  whitelist: true,
  exceptionFactory: (errors) =>
    new ChatError(isTooLarge(errors) ? ErrorCode.TooLarge : ErrorCode.BadRequest, validationMessages(errors).join('; ')),
});
