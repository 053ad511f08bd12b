/** notifications: the Telegram bot against a local fake Bot API, on real PostgreSQL. */
import { setConfig } from '../../../config';
import { getMigratedDb } from '../../../lib/storage/connect';
import type { Db } from '../../../lib/storage/db';
import { Platform, startPlatform } from '../../../runner';
import { PUSH_LIMIT_PER_MINUTE } from '../../../services/notifications/notifications.service';
import { createApiKey, createTenant } from '../../../services/users/tenants';
import { FakeTelegram, startFakeTelegram } from '../../helpers/fake-telegram';
import { createTestDatabase, TestDatabase, testConfig } from '../../helpers/infra';
import { http } from '../../helpers/http';

const TOKEN = '123456:TEST-token';

describe('Telegram bot', () => {
  let tdb: TestDatabase;
  let p: Platform;
  let db: Db;
  let base: string;
  let tg: FakeTelegram;
  let A: { id: string; key: string };
  let F: { id: string; key: string };
  const sentEvents: { tenantId: string; kind: string }[] = [];

  beforeAll(async () => {
    tg = await startFakeTelegram(TOKEN);
    tdb = await createTestDatabase('tg');
    const cfg = setConfig(testConfig({ DATABASE_URL: tdb.url, SERVICES: 'api,storage,users,subscription,notifications', TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.url }));
    p = await startPlatform(cfg);
    p.broker.createService({ name: 'spy', events: { 'notification.sent'(ctx: { params: { tenantId: string; kind: string } }) { sentEvents.push(ctx.params); } } });
    base = `http://127.0.0.1:${(await p.broker.call<{ port: number }, object>('api.address', {})).port}`;
    db = await getMigratedDb(cfg);
    const a = await createTenant(db, 'Alpha', 'pro');
    const f = await createTenant(db, 'Free', 'free');
    A = { id: a.id, key: (await createApiKey(db, a.id)).key };
    F = { id: f.id, key: (await createApiKey(db, f.id)).key };
    await new Promise((r) => setTimeout(r, 150));
  });
  afterAll(async () => {
    await p?.stop();
    await tdb.drop();
    await tg.close();
  });

  it('gives an unlinked chat only /start and /help', async () => {
    tg.say(500, '/status');
    expect(await tg.reply(500, /not linked/)).toMatch(/\/start <code>/);
    tg.say(500, '/help');
    expect(await tg.reply(500, /\/positions/)).toMatch(/\/pause/);
  });

  it('links a chat with a one-time code; the code cannot be reused; free tier cannot get one', async () => {
    expect((await http(base, 'POST', '/api/v1/notifications/telegram/link', { key: F.key })).body.error.code).toBe('TIER_LIMIT');
    const r = await http(base, 'POST', '/api/v1/notifications/telegram/link', { key: A.key });
    expect(r.status).toBe(201);
    tg.say(501, `/start ${r.body.code}`);
    expect(await tg.reply(501, /^Linked/)).toBeTruthy();
    tg.say(502, `/start ${r.body.code}`);
    expect(await tg.reply(502, /unknown, used or expired/)).toBeTruthy();
    const links = await http(base, 'GET', '/api/v1/notifications/telegram/links', { key: A.key });
    expect(links.body.items.map((x: { chatId: number }) => x.chatId)).toEqual([501]);
    expect((await http(base, 'GET', '/api/v1/notifications/telegram/links', { key: F.key })).body.items).toEqual([]);
    expect(tg.offsets.at(-1)).toBeGreaterThan(1000); // offsets confirm handled updates
  });

  it('answers commands for the linked tenant through the REST actions', async () => {
    tg.say(501, '/status');
    expect(await tg.reply(501, /Alpha — pro plan/)).toMatch(/Trading decisions: unknown/);
    tg.say(501, '/positions');
    expect(await tg.reply(501, /⚠️.*trading/i)).toBeTruthy(); // trading is not running on this node: the facade's error, not a guess
  });

  it('pushes buy/sell decisions and fills to linked chats only, rate-limited per tenant, emitting notification.sent', async () => {
    const before = tg.sent.length;
    await p.broker.emit('decision.made', { id: 'h1', tenantId: A.id, action: 'hold', symbol: 'EURUSD', tf: 'M5', confidence: 0.5, method: 'weighted' });
    await p.broker.emit('decision.made', { id: 'b1', tenantId: A.id, action: 'buy', symbol: 'EURUSD', tf: 'M5', confidence: 0.71, method: 'weighted' });
    await p.broker.emit('decision.made', { id: 'b2', tenantId: F.id, action: 'sell', symbol: 'EURUSD', tf: 'M5', confidence: 0.9, method: 'weighted' });
    await p.broker.emit('order.filled', { tenantId: A.id, order: { id: 'o1', symbol: 'EURUSD', side: 'buy', filledVolume: 0.1, avgPrice: 1.1 } });
    expect(await tg.reply(501, /^BUY EURUSD M5 — confidence 71%/)).toBeTruthy();
    expect(await tg.reply(501, /Filled buy 0.1 EURUSD @ 1.1/)).toBeTruthy();
    const pushed = tg.sent.slice(before);
    expect(pushed.filter((s) => /HOLD|SELL/.test(s.text))).toEqual([]);
    expect(sentEvents.filter((e) => e.tenantId === A.id).map((e) => e.kind)).toEqual(['decision', 'fill']);
    for (let i = 0; i < PUSH_LIMIT_PER_MINUTE + 5; i++) await p.broker.emit('decision.made', { id: `x${i}`, tenantId: A.id, action: 'sell', symbol: 'GBPUSD', tf: 'M1', confidence: 0.6, method: 'weighted' });
    await new Promise((r) => setTimeout(r, 300));
    expect(tg.sent.slice(before).length).toBe(PUSH_LIMIT_PER_MINUTE);
  });
});
