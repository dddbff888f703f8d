import { Global, Module } from '@nestjs/common';

import { SessionLog } from './session-log.service';

@Global()
@Module({
  providers: [SessionLog],
  exports: [SessionLog],
})
export class LoggingModule {}
