import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Ip,
  NotFoundException,
  Param,
  Post,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

import { AuthService, LoginDto } from '@app/auth';
import { NAME_PATTERN, NAME_RULE } from '@app/protocol';

import { ModerationService } from '../chat/moderation.service';

import { UserDto } from '../openapi/dto/user.dto';

import { AdminTokenGuard } from './admin-token.guard';
import { httpValidationPipe } from './http-errors';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/users')
@UseGuards(AdminTokenGuard)
@UsePipes(httpValidationPipe)
export class AdminUsersController {
  constructor(
    private readonly auth: AuthService,
    private readonly moderation: ModerationService,
  ) {}

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

  /** Disables an account: its sessions close on every instance (4403) and it cannot log in until enabled. */
  @Post(':name/disable')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Disable an account: every session closes with 4403 at once, on every instance, and login answers 403 until it is enabled',
  })
  @ApiOkResponse({ type: UserDto, description: 'The account is disabled' })
  @ApiBadRequestResponse({ description: 'An invalid name' })
  @ApiNotFoundResponse({ description: 'No such account' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong admin token' })
  disable(@Param('name') name: string): Promise<{ username: string }> {
    return this.setDisabled(name, true);
  }

  @Post(':name/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled account again' })
  @ApiOkResponse({ type: UserDto, description: 'The account is enabled' })
  @ApiBadRequestResponse({ description: 'An invalid name' })
  @ApiNotFoundResponse({ description: 'No such account' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong admin token' })
  enable(@Param('name') name: string): Promise<{ username: string }> {
    return this.setDisabled(name, false);
  }

  private async setDisabled(
    name: string,
    disabled: boolean,
  ): Promise<{ username: string }> {
    if (!NAME_PATTERN.test(name))
      throw new BadRequestException(
        `User name ${JSON.stringify(name)} is invalid: ${NAME_RULE}`,
      );
    const username = await this.moderation.setDisabled(name, disabled);
    if (!username) throw new NotFoundException(`User "${name}" does not exist`);
    return { username };
  }
}
