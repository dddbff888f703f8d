import { PipeTransform } from '@nestjs/common';

import { isPlainObject } from '../delivery/frames';
import { Schema } from './frame-schema';

/** Checks a frame's `data` with a compiled schema (see `FrameSchemas`) and hands on the checked copy. */
export class SchemaPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: Schema<T>) {}

  transform(value: unknown): T {
    return this.schema(isPlainObject(value) ? value : {});
  }
}
