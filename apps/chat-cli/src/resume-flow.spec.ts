import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ErrorCode, Joined, LOBBY, ServerEvent } from '@app/protocol';

import { EventRenderer } from './event-renderer';
import { HistoryView } from './history-view';
import { QueuedRequest, RequestQueue } from './request-queue';
import { ResumeFlow } from './resume-flow';
import { ShownMessages } from './shown-messages';

describe(ResumeFlow.name, () => {
  const setUp = (room: string, shownId?: string) => {
    const queued: QueuedRequest[] = [];
    const printed: string[] = [];
    const state = { room, rejoined: [] as Joined[] };
    const shown = new ShownMessages();
    if (shownId) shown.firstSight('room:ops', shownId);
    const earlier = {
      event: 'history',
      line: '/history',
      origin: 'reconnect',
    } as unknown as QueuedRequest;
    const sut = new ResumeFlow(
      new EventRenderer(false),
      {
        addFirst: (r: QueuedRequest) => void queued.unshift(r),
      } as unknown as RequestQueue,
      shown,
      { earlier: () => earlier } as unknown as HistoryView,
      (text) => printed.push(text),
      {
        current: () => state.room,
        enter: (r) => (state.room = r),
        rejoined: (joined) => state.rejoined.push(joined),
        show: () => undefined,
      },
    );
    return { sut, queued, printed, state, earlier };
  };

  it('resumes each stream from the newest message shown of it, in the room the client is in', () => {
    const { sut, queued, printed } = setUp('ops', '0000000000000042');
    sut.start();
    assert.equal(queued[0].event, 'resume');
    assert.deepEqual(queued[0].payload(), {
      cursors: { 'room:ops': '0000000000000042' },
      room: 'ops',
    });
    queued[0].settle({
      event: ServerEvent.Resumed,
      data: { count: 3, complete: true, missing: [] },
    });
    assert.equal(queued.length, 1);
    assert.match(printed.join('\n'), /3/);
  });

  it('names the streams the server could not replay whole', () => {
    const { sut, queued, printed } = setUp('ops', '0000000000000042');
    sut.start();
    queued[0].settle({
      event: ServerEvent.Resumed,
      data: { count: 1, complete: false, missing: ['room:ops'] },
    });
    assert.match(printed.join('\n'), /\(room:ops\) are no longer kept/);
  });

  it('re-joins the room when the server cannot resume, and shows the lobby history when there is no room', () => {
    const { sut, queued, printed, state } = setUp('ops', '0000000000000042');
    sut.start();
    queued[0].settle({
      event: ServerEvent.Error,
      data: { code: ErrorCode.UnknownEvent, message: 'Unknown event' },
    });
    assert.match(printed.join('\n'), /cannot replay/);
    assert.equal(queued[0].event, 'join');
    assert.deepEqual(queued[0].payload(), { room: 'ops' });
    queued[0].settle({
      event: ServerEvent.Joined,
      data: { room: 'ops', users: 2, members: ['ann', 'bob'], cursor: '1' },
    });
    assert.deepEqual(state.rejoined, [
      { room: 'ops', users: 2, members: ['ann', 'bob'], cursor: '1' },
    ]);

    const lobby = setUp(LOBBY);
    lobby.sut.start();
    assert.deepEqual(lobby.queued, [lobby.earlier]);
  });
});
