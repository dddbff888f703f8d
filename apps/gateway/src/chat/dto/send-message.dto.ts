import { IsChatText } from './validators';
import { RefDto } from './ref.dto';

export class SendMessageDto extends RefDto {
  @IsChatText()
  text: string;
}
