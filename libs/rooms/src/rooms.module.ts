import { DynamicModule, Module } from '@nestjs/common';

import { INSTANCE_ID } from './rooms.constants';
import { RoomsService } from './rooms.service';

@Module({})
export class RoomsModule {
  static forInstance(instanceId: string): DynamicModule {
    return {
      module: RoomsModule,
      providers: [{ provide: INSTANCE_ID, useValue: instanceId }, RoomsService],
      exports: [INSTANCE_ID, RoomsService],
    };
  }
}
