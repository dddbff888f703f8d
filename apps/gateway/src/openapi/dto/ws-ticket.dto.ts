import { ApiProperty } from '@nestjs/swagger';

import { WsTicket } from '@app/auth';

export class WsTicketDto implements WsTicket {
  @ApiProperty({
    description:
      'Opens one WebSocket as `wss://…/ws?ticket=…`; single use, so a URL that reaches a log is worthless',
  })
  ticket: string;

  @ApiProperty({
    description: 'How long the ticket stays usable (WS_TICKET_TTL_MS)',
    example: 30000,
  })
  expiresInMs: number;
}
