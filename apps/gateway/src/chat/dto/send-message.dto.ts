import { IsChatText } from './validators';
import { CidDto } from './ref.dto';

export class SendMessageDto extends CidDto {
  @IsChatText()
  text: string;
}
