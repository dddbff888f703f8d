import { IsOptional, ValidateBy } from 'class-validator';

import { MAX_REF_LENGTH, Ref } from '@app/protocol';

export const isRef = (value: unknown): value is Ref =>
  (typeof value === 'string' && value.length <= MAX_REF_LENGTH) ||
  (typeof value === 'number' && Number.isFinite(value) && String(value).length <= MAX_REF_LENGTH);

/** Every client frame may carry `ref`, echoed in the direct reply. */
export class RefDto {
  @IsOptional()
  @ValidateBy({ name: 'isRef', validator: { validate: isRef } }, { message: `ref must be a string or number of at most ${MAX_REF_LENGTH} characters` })
  ref?: Ref;
}
