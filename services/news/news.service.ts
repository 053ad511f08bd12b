/**
 * `news`: news items in (action `news.publish`, REST `POST /news`; optional RSS/Atom
 * polling of NEWS_FEEDS), stored once, announced as `news.published`.
 *
 * News is market-wide (every tenant's market-scoped opinions read it), so only
 * operators (role admin) and internal callers may publish; a tenant key gets 403.
 */
import { Context, Errors, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { config } from '../../config';
import { NewsInput, normalizeNews, parseFeed } from '../../lib/news/news';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import type { NewsItem } from '../../types/events';
import type { TenantMeta } from '../../types/meta';

interface NewsRow {
  id: string;
  source: string;
  title: string;
  body: string | null;
  published_at: number;
  symbols: string[];
  url: string | null;
}

function fromRow(r: NewsRow): NewsItem {
  const it: NewsItem = { id: r.id, source: r.source, title: r.title, publishedAt: r.published_at };
  if (r.body) it.body = r.body;
  if (r.symbols.length) it.symbols = r.symbols;
  if (r.url) it.url = r.url;
  return it;
}

/** Only operators and internal callers write market-wide data. */
export function requireOperator(meta: Partial<TenantMeta> | undefined, what: string): string {
  if (!meta?.tenantId) return 'system';
  if (meta.role === 'admin') return meta.userId ?? meta.tenantId;
  throw new Errors.MoleculerClientError(`${what} is market-wide: only operators (admin keys) may publish it`, 403, 'FORBIDDEN');
}

interface Vars {
  feedTimer: NodeJS.Timeout | null;
  polling: Promise<unknown> | null;
}

interface Methods {
  store(items: NewsItem[], by: string): Promise<NewsItem[]>;
  pollFeeds(): Promise<number>;
}

const NewsService: ServiceSchema<ServiceSettingSchema, Methods, DbThis & Vars & Methods> = {
  name: 'news',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    /** Publish one item; a repeated id is stored once and announced once. */
    publish: {
      rest: 'POST /news',
      params: {
        id: { type: 'string', min: 1, max: 200, optional: true },
        source: { type: 'string', min: 1, max: 100 },
        title: { type: 'string', min: 1, max: 1000 },
        body: { type: 'string', max: 20000, optional: true },
        publishedAt: { type: 'number', integer: true, optional: true, convert: true },
        symbols: { type: 'array', items: { type: 'string', min: 1, max: 32 }, max: 20, optional: true },
        url: { type: 'string', max: 2000, optional: true },
      },
      async handler(ctx: Context<NewsInput, Partial<TenantMeta>>) {
        const by = requireOperator(ctx.meta, 'news');
        const item = normalizeNews(ctx.params, Date.now());
        const fresh = await this.store([item], by);
        return { item, duplicate: fresh.length === 0 };
      },
    },
    /** Recent items, newest first. */
    list: {
      rest: 'GET /news',
      params: {
        since: { type: 'number', integer: true, optional: true, convert: true },
        limit: { type: 'number', integer: true, min: 1, max: 10_000, optional: true, convert: true },
      },
      async handler(ctx: Context<{ since?: number; limit?: number }>) {
        const rows = await this.db.query<NewsRow>(
          'SELECT id, source, title, body, published_at, symbols, url FROM news_items WHERE published_at >= $1 ORDER BY published_at DESC, id DESC LIMIT $2',
          [ctx.params.since ?? 0, ctx.params.limit ?? 100],
        );
        return { items: rows.map(fromRow), nextCursor: null };
      },
    },
    /** Poll the configured feeds now; returns how many new items were published. */
    poll: {
      params: {},
      async handler(ctx: Context<object, Partial<TenantMeta>>) {
        requireOperator(ctx.meta, 'news');
        return { published: await this.pollFeeds() };
      },
    },
  },
  methods: {
    async store(items: NewsItem[], by: string): Promise<NewsItem[]> {
      const fresh: NewsItem[] = [];
      for (const it of items) {
        const rows = await this.db.query<{ id: string }>(
          `INSERT INTO news_items (id, source, title, body, published_at, symbols, url, submitted_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [it.id, it.source, it.title, it.body ?? null, it.publishedAt, it.symbols ?? [], it.url ?? null, by],
        );
        if (rows.length > 0) fresh.push(it);
      }
      for (const it of fresh) await this.broker.emit('news.published', it);
      return fresh;
    },
    async pollFeeds(): Promise<number> {
      let n = 0;
      for (const url of config().newsFeeds) {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(10_000), headers: { accept: 'application/rss+xml, application/atom+xml, text/xml' } });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          const items = parseFeed(await res.text(), new URL(url).hostname);
          n += (await this.store(items, `feed:${url}`)).length;
        } catch (e) {
          this.logger.warn(`news: feed ${url} failed: ${(e as Error).message}`);
        }
      }
      return n;
    },
  },
  started() {
    this.feedTimer = null;
    this.polling = null;
    const cfg = config();
    if (cfg.newsFeeds.length === 0) return;
    const tick = () => {
      if (this.polling) return;
      this.polling = this.pollFeeds()
        .catch((e: unknown) => this.logger.warn(`news: polling failed: ${(e as Error).message}`))
        .finally(() => (this.polling = null));
    };
    tick();
    this.feedTimer = setInterval(tick, cfg.newsPollSec * 1000);
  },
  async stopped() {
    if (this.feedTimer) clearInterval(this.feedTimer);
    await this.polling;
  },
};

export default NewsService;
