import { IsOptional, IsString, Length, ValidateBy } from 'class-validator';

import { MAX_CID_LENGTH, MAX_REF_LENGTH, Ref } from '@app/protocol';

export const MESSAGE_ID_PATTERN = /^\d{1,16}$/;

export const isRef = (value: unknown): value is Ref =>
  (typeof value === 'string' && value.length <= MAX_REF_LENGTH) ||
  (typeof value === 'number' && Number.isFinite(value) && String(value).length <= MAX_REF_LENGTH);

/** Every client frame may carry `ref`, echoed in the direct reply. */
export class RefDto {
  @IsOptional()
  @ValidateBy({ name: 'isRef', validator: { validate: isRef } }, { message: `ref must be a string or number of at most ${MAX_REF_LENGTH} characters` })
  ref?: Ref;
}

/** `send` and `dm` may carry a client message id, so that a retry is never stored twice. */
export class CidDto extends RefDto {
  @IsOptional()
  @IsString({ message: `cid must be a string of 1 to ${MAX_CID_LENGTH} characters` })
  @Length(1, MAX_CID_LENGTH, { message: `cid must be a string of 1 to ${MAX_CID_LENGTH} characters` })
  cid?: string;
}
