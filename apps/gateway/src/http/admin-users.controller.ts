import { Body, Controller, Ip, Post, UseGuards, UsePipes } from '@nestjs/common';

import { AuthService, LoginDto } from '@app/auth';

import { AdminTokenGuard } from './admin-token.guard';
import { httpValidationPipe } from './http-errors';

@Controller('admin/users')
@UseGuards(AdminTokenGuard)
@UsePipes(httpValidationPipe)
export class AdminUsersController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account (the only way besides `npm run user:add` with REGISTRATION=closed). */
  @Post()
  async create(@Body() dto: LoginDto, @Ip() address: string): Promise<{ username: string }> {
    return { username: await this.auth.register(dto.username, dto.password, address) };
  }
}
