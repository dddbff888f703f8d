import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BusPattern } from '@app/pubsub';

import { MetricsService } from './metrics.service';

describe(MetricsService.name, () => {
  it('exposes every counter from zero, so rates work from the first scrape', async () => {
    const text = await new MetricsService().scrape();
    for (const line of [
      'chat_sessions 0',
      'chat_logins_total{result="failed"} 0',
      'chat_messages_published_total{event="dm"} 0',
      'chat_messages_delivered_total{event="message"} 0',
      'chat_frames_rate_limited_total 0',
      'chat_slow_consumer_disconnects_total 0',
      'chat_redis_errors_total 0',
    ]) {
      assert.ok(text.includes(`\n${line}\n`), `missing ${line}`);
    }
    assert.match(text, /^process_resident_memory_bytes \d+/m);
  });

  it('counts what its named methods report', async () => {
    const sut = new MetricsService();
    sut.sessionOpened();
    sut.sessionOpened();
    sut.sessionClosed();
    sut.login('ok');
    sut.published('message');
    sut.delivered('message', 3);
    sut.delivered('dm', 0);
    sut.rateLimited();
    sut.slowConsumerClosed();
    sut.redisError();
    sut.busLag(BusPattern.Message, 4);
    sut.busLag(BusPattern.Message, Number.NaN);
    const text = await sut.scrape();
    for (const line of [
      'chat_sessions 1',
      'chat_logins_total{result="ok"} 1',
      'chat_messages_published_total{event="message"} 1',
      'chat_messages_delivered_total{event="message"} 3',
      'chat_messages_delivered_total{event="dm"} 0',
      'chat_frames_rate_limited_total 1',
      'chat_slow_consumer_disconnects_total 1',
      'chat_redis_errors_total 1',
      'chat_bus_lag_seconds_bucket{le="0.005",event="chat.message"} 1',
      'chat_bus_lag_seconds_count{event="chat.message"} 1',
    ]) {
      assert.ok(text.includes(`\n${line}\n`), `missing ${line}`);
    }
  });
});
