import { IsChatName, IsChatText } from './validators';
import { CidDto } from './ref.dto';

export class DirectMessageDto extends CidDto {
  @IsChatName('to')
  to: string;

  @IsChatText()
  text: string;
}
