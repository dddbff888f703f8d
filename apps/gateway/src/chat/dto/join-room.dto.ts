import { IsChatName } from './validators';
import { RefDto } from './ref.dto';

export class JoinRoomDto extends RefDto {
  @IsChatName('room')
  room: string;
}
