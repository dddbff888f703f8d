import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { Logger } from '@nestjs/common';

import { INSTANCE_NAME } from '../instance-id';
import { MetricsService } from '../metrics/metrics.service';

import { SessionLog } from './session-log.service';

describe(SessionLog.name, () => {
  afterEach(() => mock.restoreAll());

  it('logs each opened and closed session once, with user, address and instance, and keeps the sessions gauge', async () => {
    const logged: unknown[][] = [];
    mock.method(
      Logger.prototype,
      'log',
      (...args: unknown[]) => void logged.push(args),
    );
    const metrics = new MetricsService();
    const sut = new SessionLog(metrics);
    const session = { id: 's1', username: 'ann' };

    sut.opened(session, '10.0.0.7');
    assert.match(await metrics.scrape(), /^chat_sessions 1$/m);
    sut.closed(session);
    sut.closed(session);
    sut.closed({ id: 'never-opened', username: 'bob' });

    assert.deepEqual(logged, [
      [
        'Session opened: ann from 10.0.0.7',
        {
          user: 'ann',
          address: '10.0.0.7',
          instance: INSTANCE_NAME,
          session: 's1',
        },
      ],
      [
        'Session closed: ann from 10.0.0.7',
        {
          user: 'ann',
          address: '10.0.0.7',
          instance: INSTANCE_NAME,
          session: 's1',
        },
      ],
    ]);
    assert.match(await metrics.scrape(), /^chat_sessions 0$/m);
  });
});
