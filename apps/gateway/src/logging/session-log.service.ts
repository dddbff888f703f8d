import { Injectable, Logger } from '@nestjs/common';

import { INSTANCE_NAME } from '../instance-id';
import { MetricsService } from '../metrics/metrics.service';

export interface LoggedSession {
  readonly id: string;
  readonly username: string;
}

/** One line per session opened and closed (user, client address, instance), and the open-sessions gauge. */
@Injectable()
export class SessionLog {
  private readonly logger = new Logger('Sessions');
  private readonly addresses = new Map<string, string>();

  constructor(private readonly metrics: MetricsService) {}

  opened(session: LoggedSession, address = 'unknown'): void {
    this.addresses.set(session.id, address);
    this.metrics.sessionOpened();
    this.logger.log(
      `Session opened: ${session.username} from ${address}`,
      this.fields(session, address),
    );
  }

  /** Only a session that was opened is logged and counted as closed. */
  closed(session: LoggedSession): void {
    const address = this.addresses.get(session.id);
    if (address === undefined) return;
    this.addresses.delete(session.id);
    this.metrics.sessionClosed();
    this.logger.log(
      `Session closed: ${session.username} from ${address}`,
      this.fields(session, address),
    );
  }

  private fields(
    session: LoggedSession,
    address: string,
  ): Record<string, string> {
    return {
      user: session.username,
      address,
      instance: INSTANCE_NAME,
      session: session.id,
    };
  }
}
