/**
 * `calendar`: the economic calendar. Entries in through `calendar.publish`
 * (REST `POST /calendar`, one entry or `{events: [...]}`) and `calendar.import`
 * (REST `POST /calendar/import`, `{format: 'csv'|'json', content}`; see
 * lib/calendar/calendar.ts for the columns); re-publishing an id updates it
 * (actuals come in after the forecast). Each batch is announced as
 * `calendar.published`. Market-wide: operators and internal callers only.
 */
import { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { CalendarInput, normalizeCalendarEvent, parseCalendarCsv, parseCalendarJson } from '../../lib/calendar/calendar';
import { DomainError } from '../../lib/errors';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import type { CalendarEvent, Importance } from '../../types/events';
import type { TenantMeta } from '../../types/meta';
import { requireOperator } from '../news/news.service';

interface Row {
  id: string;
  currency: string;
  name: string;
  time: number;
  importance: Importance;
  actual: number | null;
  forecast: number | null;
  previous: number | null;
  unit: string | null;
}

function fromRow(r: Row): CalendarEvent {
  const e: CalendarEvent = { id: r.id, currency: r.currency, name: r.name, time: r.time, importance: r.importance, actual: r.actual, forecast: r.forecast, previous: r.previous };
  if (r.unit) e.unit = r.unit;
  return e;
}

interface Methods {
  upsert(events: CalendarEvent[]): Promise<CalendarEvent[]>;
}

const entry = {
  type: 'object',
  props: {
    id: { type: 'string', optional: true, max: 200 },
    currency: { type: 'string', min: 3, max: 3 },
    name: { type: 'string', min: 1, max: 200 },
    time: [{ type: 'number' }, { type: 'string' }],
    importance: [{ type: 'string' }, { type: 'number' }],
    actual: { type: 'multi', rules: [{ type: 'number' }, { type: 'string' }], optional: true, nullable: true },
    forecast: { type: 'multi', rules: [{ type: 'number' }, { type: 'string' }], optional: true, nullable: true },
    previous: { type: 'multi', rules: [{ type: 'number' }, { type: 'string' }], optional: true, nullable: true },
    unit: { type: 'string', optional: true, max: 20 },
  },
};

const CalendarService: ServiceSchema<ServiceSettingSchema, Methods, DbThis & Methods> = {
  name: 'calendar',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    publish: {
      rest: 'POST /calendar',
      params: { events: { type: 'array', items: entry, min: 1, max: 10_000 } },
      async handler(ctx: Context<{ events: CalendarInput[] }, Partial<TenantMeta>>) {
        requireOperator(ctx.meta, 'the economic calendar');
        const events = ctx.params.events.map((e, i) => normalizeCalendarEvent(e, `entry ${i}`));
        return { items: await this.upsert(events) };
      },
    },
    import: {
      rest: 'POST /calendar/import',
      params: { format: { type: 'enum', values: ['csv', 'json'] }, content: { type: 'string', min: 1, max: 10_000_000 } },
      async handler(ctx: Context<{ format: 'csv' | 'json'; content: string }, Partial<TenantMeta>>) {
        requireOperator(ctx.meta, 'the economic calendar');
        let events: CalendarEvent[];
        if (ctx.params.format === 'csv') events = parseCalendarCsv(ctx.params.content);
        else {
          let json: unknown;
          try {
            json = JSON.parse(ctx.params.content);
          } catch (e) {
            throw new DomainError('BAD_CALENDAR', `content is not JSON: ${(e as Error).message}`, 422);
          }
          events = parseCalendarJson(json);
        }
        const items = await this.upsert(events);
        return { imported: items.length };
      },
    },
    list: {
      rest: 'GET /calendar',
      params: {
        from: { type: 'number', integer: true, optional: true, convert: true },
        to: { type: 'number', integer: true, optional: true, convert: true },
        currency: { type: 'string', min: 3, max: 3, optional: true },
        limit: { type: 'number', integer: true, min: 1, max: 10_000, optional: true, convert: true },
      },
      async handler(ctx: Context<{ from?: number; to?: number; currency?: string; limit?: number }>) {
        const p = ctx.params;
        const rows = await this.db.query<Row>(
          `SELECT id, currency, name, time, importance, actual, forecast, previous, unit FROM calendar_events
           WHERE time >= $1 AND time <= $2 AND ($3::text IS NULL OR currency = $3) ORDER BY time, id LIMIT $4`,
          [p.from ?? 0, p.to ?? Number.MAX_SAFE_INTEGER, p.currency?.toUpperCase() ?? null, p.limit ?? 1000],
        );
        return { items: rows.map(fromRow), nextCursor: null };
      },
    },
  },
  methods: {
    async upsert(events: CalendarEvent[]): Promise<CalendarEvent[]> {
      if (events.length === 0) return [];
      await this.db.query(
        `INSERT INTO calendar_events (id, currency, name, time, importance, actual, forecast, previous, unit)
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, currency text, name text, time bigint, importance text, actual double precision, forecast double precision, previous double precision, unit text)
         ON CONFLICT (id) DO UPDATE SET currency = EXCLUDED.currency, name = EXCLUDED.name, time = EXCLUDED.time, importance = EXCLUDED.importance,
           actual = EXCLUDED.actual, forecast = EXCLUDED.forecast, previous = EXCLUDED.previous, unit = EXCLUDED.unit, updated_at = now()`,
        [JSON.stringify(events)],
      );
      await this.broker.emit('calendar.published', events);
      return events;
    },
  },
};

export default CalendarService;
