import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

import { ROOMS_PAGE_MAX } from '@app/rooms';

/** `GET /rooms?cursor=&limit=`: query values are strings; the limit is read as a whole number once valid. */
export class RoomsQueryDto {
  @ApiPropertyOptional({
    description:
      'The `next` of the previous page; omit it for the first page. Opaque: pass it back as it came',
  })
  @IsOptional()
  @IsString({ message: 'cursor must be given once' })
  @MaxLength(200, {
    message:
      'cursor is not a rooms cursor: pass the "next" of the previous page, or no cursor for the first page',
  })
  cursor?: string;

  @ApiPropertyOptional({
    description: `Rooms on the page, 1 to ${ROOMS_PAGE_MAX}`,
    default: 100,
  })
  @IsOptional()
  @Matches(/^(?:[1-9]\d{0,2}|1000)$/, {
    message: `limit must be a whole number from 1 to ${ROOMS_PAGE_MAX}`,
  })
  limit?: string;
}
