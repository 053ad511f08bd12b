/**
 * `notifications`: a multi-user Telegram bot (off when TELEGRAM_BOT_TOKEN is unset).
 *
 * - A tenant gets a one-time code from `POST /notifications/telegram/link`
 *   (needs the `telegram` feature) and sends `/start <code>` to the bot; the chat
 *   is then linked to that tenant.
 * - Every command is authorized against the chat's linked tenant: an unlinked
 *   chat gets only /start and /help. Commands call the same actions REST uses,
 *   with the tenant in meta (one facade): /status (users.me, risk.getLimits),
 *   /positions (trading.listPositions), /decisions (consensus.list),
 *   /pause and /resume (risk.putLimits {tradeDecisions}).
 * - Pushes `decision.made` (buy/sell) and `order.filled` to the tenant's linked
 *   chats, at most PUSH_LIMIT per tenant per minute (the rest are dropped and
 *   counted), and emits `notification.sent` for each delivered message.
 * - Long polling `getUpdates` with the stored offset; run one notifications node
 *   per bot token (Telegram allows one poller).
 */
import { randomBytes } from 'node:crypto';
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../config';
import { maybeOne } from '../../lib/storage/db';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { tenantOf } from '../../mixins/tenant';
import type { Decision } from '../../types/agents';
import type { NotificationSent } from '../../types/events';
import type { ApiMeta, TenantMeta } from '../../types/meta';
import type { OrderEvent } from '../../types/trading';
import { parseCommand, SlidingWindowLimiter, TelegramApi, TgUpdate } from './telegram';

type Ctx<P = Record<string, never>> = Context<P, ApiMeta>;

export const PUSH_LIMIT_PER_MINUTE = 20;
const CODE_TTL_MS = 15 * 60_000;
const HELP = [
  '/start <code> — link this chat to your Plan2 account (code from POST /api/v1/notifications/telegram/link)',
  '/status — account, plan and whether decisions are traded',
  '/positions — open positions',
  '/decisions — latest decisions',
  '/pause — stop trading decisions automatically',
  '/resume — trade decisions again',
  '/help — this list',
].join('\n');

interface Vars {
  tg: TelegramApi | null;
  pollAbort: AbortController | null;
  polling: Promise<void> | null;
  limiter: SlidingWindowLimiter;
  dropped: number;
  pollTimeoutSec: number;
  poll(): Promise<void>;
  handleUpdate(u: TgUpdate): Promise<void>;
  command(chatId: number, tenantId: string, cmd: string): Promise<string>;
  push(tenantId: string, kind: string, text: string): Promise<number>;
}

const NotificationsService: ServiceSchema<ServiceSettingSchema, object, DbThis & Vars> = {
  name: 'notifications',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    createLinkCode: {
      rest: 'POST /notifications/telegram/link',
      params: {},
      async handler(ctx: Ctx) {
        const tenantId = tenantOf(ctx);
        await ctx.call('subscription.check', { feature: 'telegram' }, { meta: ctx.meta });
        const code = randomBytes(9).toString('base64url');
        const expiresAt = Date.now() + CODE_TTL_MS;
        await this.db.query('INSERT INTO telegram_link_codes (code, tenant_id, expires_at) VALUES ($1, $2, $3)', [code, tenantId, new Date(expiresAt)]);
        ctx.meta.$statusCode = 201;
        return { code, expiresAt, command: `/start ${code}`, enabled: Boolean(this.tg) };
      },
    },
    listLinks: {
      rest: 'GET /notifications/telegram/links',
      params: {},
      async handler(ctx: Ctx) {
        const rows = await this.db.query<{ chat_id: string; username: string | null; linked_at: Date }>('SELECT chat_id, username, linked_at FROM telegram_links WHERE tenant_id = $1 ORDER BY linked_at', [tenantOf(ctx)]);
        return { items: rows.map((r) => ({ chatId: Number(r.chat_id), username: r.username, linkedAt: r.linked_at.getTime() })), nextCursor: null };
      },
    },
  },
  events: {
    'decision.made': {
      async handler(ctx: Context<Decision>) {
        const d = ctx.params;
        if (!this.tg || !d?.tenantId || d.action === 'hold') return;
        await this.push(d.tenantId, 'decision', `${d.action.toUpperCase()} ${d.symbol} ${d.tf} — confidence ${(d.confidence * 100).toFixed(0)}% (${d.method})`);
      },
    },
    'order.filled': {
      async handler(ctx: Context<OrderEvent>) {
        const e = ctx.params;
        if (!this.tg || !e?.tenantId || !e.order) return;
        const o = e.order as unknown as { symbol?: string; side?: string; filledVolume?: number; avgPrice?: number | null; id: string };
        await this.push(e.tenantId, 'fill', `Filled ${o.side ?? ''} ${o.filledVolume ?? ''} ${o.symbol ?? ''} @ ${o.avgPrice ?? ''} (order ${o.id})`.replace(/\s+/g, ' '));
      },
    },
  },
  methods: {
    /** Send `text` to every chat of the tenant, within the rate limit; returns messages sent. */
    async push(tenantId: string, kind: string, text: string) {
      const chats = await this.db.query<{ chat_id: string }>('SELECT chat_id FROM telegram_links WHERE tenant_id = $1', [tenantId]);
      let sent = 0;
      for (const c of chats) {
        if (!this.limiter.take(tenantId, Date.now())) {
          this.dropped++;
          continue;
        }
        try {
          await this.tg!.sendMessage(Number(c.chat_id), text);
          sent++;
          const n: NotificationSent = { tenantId, channel: 'telegram', kind, time: Date.now() };
          await this.broker.emit('notification.sent', n, { meta: { tenantId } });
        } catch (e) {
          this.logger.warn('telegram push failed', { tenantId, error: (e as Error).message });
        }
      }
      return sent;
    },
    async poll() {
      const [st] = await this.db.query<{ offset_: number }>('INSERT INTO telegram_state (id, offset_) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET offset_ = telegram_state.offset_ RETURNING offset_');
      let offset = Number(st.offset_);
      while (this.pollAbort && !this.pollAbort.signal.aborted) {
        try {
          const updates = await this.tg!.getUpdates(offset, this.pollTimeoutSec, this.pollAbort.signal);
          for (const u of updates) {
            try {
              await this.handleUpdate(u);
            } catch (e) {
              this.logger.warn('telegram update failed', { updateId: u.update_id, error: (e as Error).message });
            }
            offset = u.update_id + 1;
            await this.db.query('UPDATE telegram_state SET offset_ = $1 WHERE id = 1', [offset]);
          }
        } catch (e) {
          if (this.pollAbort?.signal.aborted) return;
          this.logger.warn('telegram getUpdates failed; retrying in 2 s', (e as Error).message);
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    },
    async handleUpdate(u: TgUpdate) {
      const m = u.message;
      const parsed = parseCommand(m?.text);
      if (!m || !parsed) return;
      const chatId = m.chat.id;
      const link = await maybeOne<{ tenant_id: string }>(this.db, 'SELECT tenant_id FROM telegram_links WHERE chat_id = $1', [chatId]);
      let reply: string;
      if (parsed.cmd === 'help') reply = HELP;
      else if (parsed.cmd === 'start') {
        const code = parsed.args[0];
        if (!code) reply = link ? 'This chat is linked. /help lists the commands.' : `Welcome to Plan2.\n${HELP}`;
        else {
          const used = await this.db.transaction(async (tx) => {
            const r = await tx.query<{ tenant_id: string }>('UPDATE telegram_link_codes SET used_at = now() WHERE code = $1 AND used_at IS NULL AND expires_at > now() RETURNING tenant_id', [code]);
            if (!r[0]) return null;
            await tx.query('INSERT INTO telegram_links (chat_id, tenant_id, username) VALUES ($1, $2, $3) ON CONFLICT (chat_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, username = EXCLUDED.username, linked_at = now()', [chatId, r[0].tenant_id, m.from?.username ?? null]);
            await tx.query('INSERT INTO audit_log (tenant_id, actor, action, data) VALUES ($1, $2, $3, $4)', [r[0].tenant_id, `telegram:${chatId}`, 'telegram.linked', JSON.stringify({ chatId })]);
            return r[0].tenant_id;
          });
          reply = used ? 'Linked. You will get decisions and fills here. /help lists the commands.' : 'That code is unknown, used or expired. Create a new one with POST /api/v1/notifications/telegram/link.';
        }
      } else if (!link) reply = 'This chat is not linked to an account. Send /start <code> first.';
      else {
        try {
          reply = await this.command(chatId, link.tenant_id, parsed.cmd);
        } catch (e) {
          const err = e as { message: string; type?: string };
          reply = `⚠️ ${err.type ? err.type + ': ' : ''}${err.message}`;
        }
      }
      await this.tg!.sendMessage(chatId, reply);
    },
    /** One facade: the REST actions, called with the linked tenant's meta. */
    async command(chatId: number, tenantId: string, cmd: string) {
      const base: TenantMeta = { tenantId, tier: 'free', role: 'tenant', userId: `telegram:${chatId}` };
      const me = await this.broker.call<{ name: string; tier: TenantMeta['tier'] }, object>('users.me', {}, { meta: base });
      const meta: TenantMeta = { ...base, tier: me.tier };
      await this.broker.call('subscription.check', { feature: 'telegram' }, { meta });
      switch (cmd) {
        case 'status': {
          const lim = await this.broker.call<{ limits?: { tradeDecisions?: boolean } }, object>('risk.getLimits', {}, { meta }).catch(() => null);
          const trading = lim?.limits?.tradeDecisions === undefined ? 'unknown' : lim.limits.tradeDecisions ? 'on' : 'paused';
          return `${me.name} — ${me.tier} plan\nTrading decisions: ${trading}`;
        }
        case 'positions': {
          const r = await this.broker.call<{ items: { symbol: string; side?: string; volume?: number; openPrice?: number }[] }, object>('trading.listPositions', { status: 'open' }, { meta });
          return r.items.length ? r.items.map((p) => `${p.symbol} ${p.side ?? ''} ${p.volume ?? ''} @ ${p.openPrice ?? ''}`.replace(/\s+/g, ' ')).join('\n') : 'No open positions.';
        }
        case 'decisions': {
          const r = await this.broker.call<{ items: Decision[] }, object>('consensus.list', { limit: 5 }, { meta });
          return r.items.length ? r.items.map((d) => `${d.action.toUpperCase()} ${d.symbol} ${d.tf} ${(d.confidence * 100).toFixed(0)}%`).join('\n') : 'No decisions yet.';
        }
        case 'pause':
          await this.broker.call('risk.putLimits', { tradeDecisions: false }, { meta });
          return 'Paused: decisions are no longer traded. /resume to continue.';
        case 'resume':
          await this.broker.call('risk.putLimits', { tradeDecisions: true }, { meta });
          return 'Resumed: decisions are traded again.';
        default:
          return `Unknown command /${cmd}.\n${HELP}`;
      }
    },
  },
  created() {
    this.tg = null;
    this.pollAbort = null;
    this.polling = null;
    this.limiter = new SlidingWindowLimiter(PUSH_LIMIT_PER_MINUTE, 60_000);
    this.dropped = 0;
    this.pollTimeoutSec = 25;
  },
  async started() {
    const cfg = config();
    if (!cfg.telegramBotToken) {
      this.logger.info('Telegram is off (TELEGRAM_BOT_TOKEN unset)');
      return;
    }
    this.tg = new TelegramApi(cfg.telegramApiRoot, cfg.telegramBotToken);
    this.pollAbort = new AbortController();
    this.polling = this.poll().catch((e: Error) => this.logger.error('telegram polling stopped', e.message));
  },
  async stopped() {
    this.pollAbort?.abort();
    await this.polling;
  },
};

export default NotificationsService;
