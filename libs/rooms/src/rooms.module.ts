import { DynamicModule, Module } from '@nestjs/common';

import { INSTANCE_ID } from './rooms.constants';
import { RoomAccessService } from './room-access.service';
import { RoomsService } from './rooms.service';

@Module({})
export class RoomsModule {
  static forInstance(instanceId: string): DynamicModule {
    return {
      module: RoomsModule,
      providers: [
        { provide: INSTANCE_ID, useValue: instanceId },
        RoomAccessService,
        RoomsService,
      ],
      exports: [INSTANCE_ID, RoomAccessService, RoomsService],
    };
  }
}
