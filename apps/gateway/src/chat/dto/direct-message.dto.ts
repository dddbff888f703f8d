import { IsChatName, IsChatText } from './validators';
import { RefDto } from './ref.dto';

export class DirectMessageDto extends RefDto {
  @IsChatName('to')
  to: string;

  @IsChatText()
  text: string;
}
