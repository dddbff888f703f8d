import {
  Body,
  Controller,
  Ip,
  Post,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { AuthService, LoginDto } from '@app/auth';

import { UserDto } from '../openapi/dto/user.dto';

import { AdminTokenGuard } from './admin-token.guard';
import { httpValidationPipe } from './http-errors';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/users')
@UseGuards(AdminTokenGuard)
@UsePipes(httpValidationPipe)
export class AdminUsersController {
  constructor(private readonly auth: AuthService) {}

  /** Creates an account (the only way besides `npm run user:add` with REGISTRATION=closed). */
  @Post()
  @ApiOperation({
    summary: 'Create an account (Authorization: Bearer CHAT_ADMIN_TOKEN)',
  })
  @ApiCreatedResponse({ type: UserDto, description: 'The account was created' })
  @ApiConflictResponse({ description: 'The name is taken' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong admin token' })
  async create(
    @Body() dto: LoginDto,
    @Ip() address: string,
  ): Promise<{ username: string }> {
    return {
      username: await this.auth.register(dto.username, dto.password, address),
    };
  }
}
