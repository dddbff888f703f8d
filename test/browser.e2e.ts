import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Browser, chromium, Page } from 'playwright-core';

import { ADMIN_TOKEN, GatewayProcess, ROOT } from './support/gateway-process';
import { httpsText } from './support/https-text';
import { ChatClient, httpsJson, login } from './support/chat-client';
import { freePort, waitFor } from './support/ports';
import { TestRedis } from './support/redis-server';

/** Debian's `chromium` package; playwright never downloads a browser here. */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test', 'artifacts');
const XSS = '<img src=x onerror="window.__pwned = true">';
const WAIT = { timeout: 10_000 };

describe('the browser chat page', () => {
  let redis: TestRedis;
  const gateways: GatewayProcess[] = [];
  let browser: Browser;
  const pages: Record<string, Page> = {};
  const problems: string[] = [];
  /** Every WebSocket URL and console line of every page: none may carry a token. */
  const wsUrls: string[] = [];
  const consoleLines: string[] = [];

  /** A fresh browser context (no shared state) logged in as `username` on `gateway`. */
  const open = async (
    gateway: GatewayProcess,
    username: string,
  ): Promise<Page> => {
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      viewport: { width: 1100, height: 640 },
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`${username}: ${err.message}`));
    page.on('websocket', (ws) => wsUrls.push(ws.url()));
    page.on('console', (message) => consoleLines.push(message.text()));
    page.on(
      'console',
      (message) =>
        message.type() === 'error' &&
        problems.push(`${username}: ${message.text()}`),
    );
    await page.goto(`${gateway.url}/`, WAIT);
    if (username === 'ann')
      await page.screenshot({ path: join(ARTIFACTS, 'browser-login.png') });
    await page.fill('#username', username);
    await page.fill('#password', 'pw');
    await page.click('#login-form button[type=submit]');
    await page.locator('#status.online').waitFor(WAIT);
    return page;
  };

  const type = async (page: Page, line: string): Promise<void> => {
    await page.fill('#input', line);
    await page.press('#input', 'Enter');
  };

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install Debian's package with "apt-get install -y chromium" (.ci/run does)`,
    );
    redis = await TestRedis.start();
    gateways.push(
      await GatewayProcess.start(redis.url),
      await GatewayProcess.start(redis.url),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 30_000,
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await Promise.all(
      gateways.map((g) => g.stop('SIGKILL').catch(() => undefined)),
    );
    await redis?.stop();
  });

  it('serves the page with a Content-Security-Policy', async () => {
    const page = await httpsText(gateways[0].port, '/');
    assert.equal(page.status, 200);
    assert.match(
      String(page.headers['content-security-policy']),
      /script-src 'self'/,
    );
    assert.match(page.text, /<title>securechat<\/title>/);
  });

  it(
    'lets two users on two instances chat, and shows markup sent as text',
    { timeout: 60_000 },
    async () => {
      const ann = await open(gateways[0], 'ann');
      const bob = await open(gateways[1], 'bob');
      await ann.screenshot({ path: join(ARTIFACTS, 'browser-connected.png') });

      await type(ann, 'hello from the browser');
      await bob
        .locator('#log li.message', { hasText: 'hello from the browser' })
        .waitFor(WAIT);

      await type(bob, XSS);
      const shown = ann.locator('#log li.message .text', {
        hasText: 'onerror',
      });
      await shown.waitFor(WAIT);
      assert.equal(await shown.textContent(), XSS);
      assert.equal(
        await ann.locator('#log img').count(),
        0,
        'no <img> element was made from the text',
      );
      assert.equal(
        await ann.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned),
        undefined,
        'the onerror handler never ran',
      );
      await ann.screenshot({
        path: join(ARTIFACTS, 'browser-markup-as-text.png'),
      });

      await type(ann, '/join lab');
      await type(bob, '/join lab');
      await ann.locator('#members li', { hasText: 'bob' }).waitFor(WAIT);
      assert.equal(await ann.locator('#room-name').textContent(), '#lab');
      await type(bob, '/msg ann just for you');
      await ann
        .locator('#log li.dm', { hasText: 'just for you' })
        .waitFor(WAIT);
      await type(ann, '/rooms');
      await ann.locator('#log li.block', { hasText: '#lab' }).waitFor(WAIT);
      await type(ann, 'see you in the lab');
      await bob
        .locator('#log li.message', { hasText: 'see you in the lab' })
        .waitFor(WAIT);
      await ann.screenshot({ path: join(ARTIFACTS, 'browser-chat.png') });

      assert.deepEqual(problems, [], 'no script errors and no CSP violations');
      pages.ann = ann;
      pages.bob = bob;
    },
  );

  it(
    'lists the rooms with user counts (a click joins) and the DM conversations with unread counts',
    { timeout: 30_000 },
    async () => {
      const { ann, bob } = pages;
      await type(ann, '/join global');
      await ann.locator('#room-name', { hasText: '#global' }).waitFor(WAIT);
      const lab = ann.locator('#rooms .choice', { hasText: '#lab' });
      await lab.locator('.count', { hasText: '1' }).waitFor(WAIT);
      await lab.click();
      await ann.locator('#room-name', { hasText: '#lab' }).waitFor(WAIT);
      await lab.locator('.count', { hasText: '2' }).waitFor(WAIT);

      await type(bob, '/msg ann first unread');
      await type(bob, '/msg ann second unread');
      const fromBob = ann.locator('#dms .choice', { hasText: 'bob' });
      await fromBob.locator('.count', { hasText: '3' }).waitFor(WAIT);
      await ann.screenshot({ path: join(ARTIFACTS, 'browser-lists.png') });
      await fromBob.click();
      await ann
        .locator('#log li.notice', {
          hasText: /^Latest direct messages with bob:$/,
        })
        .waitFor(WAIT);
      assert.equal(
        await ann.locator('#log li.dm', { hasText: 'second unread' }).count(),
        2,
        'live, and in the conversation opened from the list',
      );
      assert.equal(await fromBob.locator('.count').textContent(), '');
      assert.equal(await ann.inputValue('#input'), '/msg bob ');
    },
  );

  it(
    'keeps the user signed in across a reload, and fits a 390 px wide screen',
    { timeout: 30_000 },
    async () => {
      const { ann } = pages;
      await ann.reload(WAIT);
      await ann.locator('#status.online').waitFor(WAIT);
      assert.equal(await ann.locator('#login').isVisible(), false);
      assert.equal(await ann.textContent('#whoami'), 'signed in as ann');
      await ann
        .locator('#log li.notice', { hasText: 'Welcome, ann' })
        .waitFor(WAIT);

      await ann.setViewportSize({ width: 390, height: 844 });
      await ann.screenshot({ path: join(ARTIFACTS, 'browser-narrow.png') });
      const header = await ann.locator('header.bar').boundingBox();
      assert.ok(
        header && header.height < 60,
        `header ${header?.height} px high: one line`,
      );
      for (const selector of ['#room-name', '#input', '#log']) {
        const box = await ann.locator(selector).boundingBox();
        assert.ok(
          box &&
            box.y >= 0 &&
            box.y + Math.min(box.height, 40) <= 844 &&
            box.width > 0,
          `${selector} is on screen: ${JSON.stringify(box)}`,
        );
      }
    },
  );

  it(
    'pages back through the history of the room and of a DM conversation, down to "no earlier messages"',
    { timeout: 30_000 },
    async () => {
      const { ann } = pages;
      await type(ann, '/history');
      await ann
        .locator('#log li.notice', {
          hasText: /^No earlier messages in #global$/,
        })
        .waitFor(WAIT);
      await type(ann, '/history bob');
      await ann
        .locator('#log li.notice', {
          hasText: /^Latest direct messages with bob:$/,
        })
        .waitFor(WAIT);
      for (const text of ['just for you', 'first unread', 'second unread'])
        await ann.locator('#log li.dm', { hasText: text }).waitFor(WAIT);
      await ann.screenshot({ path: join(ARTIFACTS, 'browser-history.png') });
      await type(ann, '/history bob');
      await ann
        .locator('#log li.notice', {
          hasText: /^No earlier direct messages with bob$/,
        })
        .nth(1)
        .waitFor(WAIT);

      // The rest of what /help lists.
      await type(ann, '/help');
      await ann
        .locator('#log li.block', { hasText: '/subscribe USER' })
        .waitFor(WAIT);
      await type(ann, '/who');
      await ann
        .locator('#log li.notice', { hasText: /^In #global: ann/ })
        .waitFor(WAIT);
      await type(ann, '/subscribe bob');
      await ann
        .locator('#log li.notice', { hasText: /^Subscribed to bob/ })
        .waitFor(WAIT);
      await type(ann, '/unsubscribe bob');
      await ann
        .locator('#log li.notice', { hasText: /^Unsubscribed from bob/ })
        .waitFor(WAIT);
      await type(ann, '/join side');
      await ann.locator('#room-name', { hasText: '#side' }).waitFor(WAIT);
      await type(ann, '/leave');
      await ann.locator('#room-name', { hasText: '#global' }).waitFor(WAIT);
    },
  );

  it(
    'runs a room by its commands: topic and roles shown, notices in the log, a kick said plainly, a private room refused',
    { timeout: 60_000 },
    async () => {
      const owen = await open(gateways[0], 'owen');
      const rita = await open(gateways[1], 'rita');
      const action = (page: Page, text: string | RegExp) =>
        page.locator('#log li.action', { hasText: text }).waitFor(WAIT);

      await type(owen, '/join studio');
      await owen.locator('#room-name', { hasText: '#studio' }).waitFor(WAIT);
      await type(owen, '/topic Mixing today <b>loud</b>');
      await action(owen, '* owen set the topic: Mixing today <b>loud</b>');
      await owen
        .locator('#room-topic', { hasText: 'Mixing today <b>loud</b>' })
        .waitFor(WAIT);

      await type(rita, '/join studio');
      await rita
        .locator('#log li.notice', {
          hasText: 'Joined #studio (2 users). Topic: Mixing today <b>loud</b>',
        })
        .waitFor(WAIT);
      assert.equal(
        await rita.locator('#room-topic').textContent(),
        'Mixing today <b>loud</b>',
      );
      assert.equal(await rita.locator('#room-topic b').count(), 0);
      await rita
        .locator('#members li', { hasText: 'owen' })
        .locator('.role.owner')
        .waitFor(WAIT);
      await type(owen, '/op rita');
      await action(rita, '* owen made rita an operator');
      await rita
        .locator('#members li', { hasText: 'rita' })
        .locator('.role.op')
        .waitFor(WAIT);
      assert.deepEqual(
        await rita.locator('#members li').allTextContents(),
        ['owenowner', 'ritaop'],
        'the owner first, then the operators',
      );
      await owen.screenshot({
        path: join(ARTIFACTS, 'browser-moderation-owner.png'),
      });

      await type(owen, '/deop rita');
      await action(owen, '* owen removed rita as operator');
      await type(owen, '/kick rita too loud');
      await rita
        .locator('#log li.problem', {
          hasText: 'You were kicked from #studio by owen: too loud',
        })
        .waitFor(WAIT);
      await rita.locator('#room-name', { hasText: '#global' }).waitFor(WAIT);
      await action(owen, '* owen kicked rita: too loud');

      await type(owen, '/private on');
      await action(owen, '* room is now private, set by owen');
      await owen.locator('#room-name.private').waitFor(WAIT);
      await type(rita, '/join studio');
      await rita
        .locator('#log li.problem', { hasText: /^Refused: / })
        .waitFor(WAIT);
      assert.equal(await rita.locator('#room-name').textContent(), '#global');
      await rita.screenshot({
        path: join(ARTIFACTS, 'browser-moderation-removed.png'),
      });

      // Typed in #global, for the room by name: the reply confirms it.
      await type(owen, '/leave');
      await owen.locator('#room-name', { hasText: '#global' }).waitFor(WAIT);
      await type(owen, '/invite #studio rita');
      await owen
        .locator('#log li.notice', { hasText: 'Invited rita to #studio' })
        .waitFor(WAIT);
      await type(rita, '/join studio');
      await rita.locator('#room-name.private').waitFor(WAIT);
      await action(rita, '* owen invited rita');
      await action(rita, '* owen kicked rita: too loud');
      await Promise.all([owen.context().close(), rita.context().close()]);
    },
  );

  it(
    'says so and stops reconnecting when an admin disables the account, and forgets the saved login',
    { timeout: 60_000 },
    async () => {
      const admin = (action: 'disable' | 'enable') =>
        httpsJson(
          gateways[1].port,
          'POST',
          `/admin/users/vic/${action}`,
          {},
          {
            authorization: `Bearer ${ADMIN_TOKEN}`,
          },
        );
      const vic = await open(gateways[0], 'vic');
      assert.equal((await admin('disable')).status, 200);
      await vic
        .locator('#log li.problem', {
          hasText: 'Your account has been disabled by an administrator',
        })
        .waitFor(WAIT);
      await vic
        .locator('#status.offline', { hasText: 'account disabled' })
        .waitFor(WAIT);
      await vic.screenshot({
        path: join(ARTIFACTS, 'browser-account-disabled.png'),
      });
      // The saved login is gone: a reload asks to log in, and the login says why it is refused.
      await vic.reload(WAIT);
      await vic.locator('#login-form').waitFor(WAIT);
      await vic.fill('#username', 'vic');
      await vic.fill('#password', 'pw');
      await vic.click('#login-form button[type=submit]');
      await vic
        .locator('#login-error', { hasText: /disabled by an administrator/ })
        .waitFor(WAIT);
      assert.equal((await admin('enable')).status, 200);
      await vic.context().close();
    },
  );

  it(
    'queues what is typed while reconnecting, and sends it once when its instance is back',
    { timeout: 90_000 },
    async () => {
      const { bob } = pages;
      await type(bob, '/join global');
      const page = await open(gateways[0], 'cyd');
      await gateways[0].stop('SIGTERM');
      await page.locator('#status.reconnecting').waitFor(WAIT);
      await type(page, 'typed while away');
      await page
        .locator('#log li.problem', {
          hasText: 'Queued until the connection is back',
        })
        .waitFor(WAIT);
      await page.screenshot({
        path: join(ARTIFACTS, 'browser-reconnecting.png'),
      });
      gateways[0] = await GatewayProcess.start(redis.url, {}, [
        '--port',
        String(gateways[0].port),
      ]);
      // Only a wait: the backoff grew while the instance was down, and a loaded machine starts it slowly.
      await page.locator('#status.online').waitFor({ timeout: 45_000 });
      await type(page, 'back again');
      await page
        .locator('#log li.message', { hasText: 'back again' })
        .waitFor(WAIT);
      await bob
        .locator('#log li.message', { hasText: 'back again' })
        .waitFor(WAIT);
      for (const seen of [page, bob])
        assert.equal(
          await seen
            .locator('#log li.message', { hasText: 'typed while away' })
            .count(),
          1,
          'the queued line arrived exactly once',
        );
      assert.equal(
        await page.locator('#status').textContent(),
        'connected',
        'the status names no instance',
      );
    },
  );

  it(
    'honours the restart signal: reconnects within its window to another live instance of welcome.instances',
    { timeout: 60_000 },
    async (t) => {
      const withinMs = 1500;
      // Its own Redis: the instances earlier tests stopped stay advertised until reaped, and would be tried first.
      const own = await TestRedis.start();
      t.after(() => own.stop());
      const ports = [await freePort(), await freePort()];
      const origins = ports.map((port) => `https://localhost:${port}`);
      const pair = await Promise.all(
        ports.map((port, i) =>
          GatewayProcess.start(
            own.url,
            {
              ALLOWED_ORIGINS: origins.join(','),
              PUBLIC_URL: origins[i],
              SHUTDOWN_DRAIN_MS: '0',
              RECONNECT_WINDOW_MS: String(withinMs),
              HEARTBEAT_INTERVAL_MS: '300',
            },
            ['--port', String(port)],
          ),
        ),
      );
      gateways.push(...pair);
      // welcome.instances is what an instance saw at its last heartbeat: wait until the first one sees the second.
      const { token } = await login(pair[0], 'probe');
      await waitFor(
        async () => {
          const probe = await ChatClient.open(pair[0], 'probe', token);
          try {
            const welcome = await probe.next((f) => f.event === 'welcome');
            return (welcome.data.instances as string[]).length === 2;
          } finally {
            await probe.close();
          }
        },
        15_000,
        'the first gateway to advertise the second',
      );
      const page = await open(pair[0], 'dee');
      const opened: string[] = [];
      page.on('websocket', (ws) => opened.push(ws.url()));
      const signalled = Date.now();
      await pair[0].stop('SIGTERM');
      await page
        .locator('#log li.notice', { hasText: 'The server is restarting' })
        .waitFor(WAIT);
      await page
        .locator('#log li.notice', { hasText: /^Reconnected$/ })
        .waitFor(WAIT);
      const back = Date.now() - signalled;
      assert.match(
        opened.at(-1) ?? '',
        new RegExp(`^wss://localhost:${ports[1]}/ws\\?ticket=`),
      );
      assert.ok(back < withinMs + 5000, `back after ${back} ms`);
      await type(page, 'carried on');
      await page
        .locator('#log li.message', { hasText: 'carried on' })
        .waitFor(WAIT);
      await pair[1].stop('SIGKILL');
    },
  );

  it('never puts a token in a WebSocket URL or the console', () => {
    assert.ok(wsUrls.length >= 4, `WebSockets seen: ${wsUrls.length}`);
    for (const url of wsUrls) {
      assert.doesNotMatch(url, /token=/);
      assert.match(url, /\/ws\?ticket=/);
    }
    for (const line of consoleLines)
      assert.doesNotMatch(line, /token=|eyJ/, 'no token in the console');
  });
});
