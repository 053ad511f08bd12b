/**
 * Economic-calendar entries: normalisation of one entry, CSV and JSON import.
 *
 * CSV header (any order, case-insensitive; extra columns ignored):
 *   time,currency,name,importance[,actual,forecast,previous,unit,id]
 * `time` is ISO-8601 (UTC when no offset) or ms since epoch; `importance` is
 * low|medium|high (or 1|2|3); numbers may carry a unit suffix (%, K, M, B:
 * "2.5%", "288K") which is stripped (K/M/B scale the value) and kept as `unit`.
 * Empty actual/forecast/previous are null. The id defaults to
 * `CURRENCY:name:time`, so re-importing a calendar with actuals filled in
 * updates the same entries.
 */
import type { CalendarEvent, Importance } from '../../types/events';
import { DomainError } from '../errors';

export interface CalendarInput {
  id?: string;
  currency: string;
  name: string;
  time: number | string;
  importance: Importance | string | number;
  actual?: number | string | null;
  forecast?: number | string | null;
  previous?: number | string | null;
  unit?: string;
}

function bad(msg: string, where?: string): never {
  throw new DomainError('BAD_CALENDAR', where ? `${where}: ${msg}` : msg, 422);
}

/** Parse a time (ISO or ms). */
export function parseTime(v: number | string, where?: string): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(`time ${v} is not finite`, where);
    return v;
  }
  const s = v.trim();
  if (/^\d{10,}$/.test(s)) return Number(s);
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s.replace(' ', 'T') + (s.includes('T') || s.includes(' ') ? 'Z' : 'T00:00:00Z');
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) bad(`time "${v}" is not ISO-8601 or ms`, where);
  return t;
}

/** A number with an optional unit suffix: "2.5%", "288K", "-0.3", "" → null. */
export function parseValue(v: number | string | null | undefined, where?: string): { value: number | null; unit?: string } {
  if (v === null || v === undefined) return { value: null };
  if (typeof v === 'number') return Number.isFinite(v) ? { value: v } : bad(`value ${v} is not finite`, where);
  const s = v.trim().replace(/,/g, '');
  if (s === '') return { value: null };
  const m = /^([+-]?\d+(?:\.\d+)?)\s*(%|[kKmMbB])?$/.exec(s);
  if (!m) bad(`"${v}" is not a number`, where);
  const n = Number(m[1]);
  const u = m[2];
  if (!u) return { value: n };
  if (u === '%') return { value: n, unit: '%' };
  const scale = { k: 1e3, m: 1e6, b: 1e9 }[u.toLowerCase() as 'k' | 'm' | 'b'];
  return { value: n * scale, unit: u.toUpperCase() };
}

function importance(v: CalendarInput['importance'], where?: string): Importance {
  const s = String(v).trim().toLowerCase();
  if (s === 'high' || s === '3') return 'high';
  if (s === 'medium' || s === 'med' || s === '2') return 'medium';
  if (s === 'low' || s === '1') return 'low';
  return bad(`importance "${v}" must be low, medium or high`, where);
}

/** Validate and normalise one entry. Throws DomainError BAD_CALENDAR naming the field. */
export function normalizeCalendarEvent(x: CalendarInput, where?: string): CalendarEvent {
  const currency = String(x.currency ?? '').trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) bad(`currency "${x.currency}" must be a 3-letter code`, where);
  const name = String(x.name ?? '').trim();
  if (name.length === 0 || name.length > 200) bad('name is required (≤ 200 characters)', where);
  const time = parseTime(x.time, where);
  const a = parseValue(x.actual, where);
  const f = parseValue(x.forecast, where);
  const p = parseValue(x.previous, where);
  const e: CalendarEvent = { id: x.id?.trim() || `${currency}:${name}:${time}`, currency, name, time, importance: importance(x.importance, where), actual: a.value, forecast: f.value, previous: p.value };
  const unit = x.unit?.trim() || a.unit || f.unit || p.unit;
  if (unit) e.unit = unit;
  return e;
}

/** Split one CSV line (RFC 4180 quotes). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseCalendarCsv(text: string): CalendarEvent[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = splitCsv(lines[0]).map((h) => h.trim().toLowerCase());
  for (const need of ['time', 'currency', 'name', 'importance']) if (!header.includes(need)) bad(`CSV header lacks "${need}" (has ${header.join(', ')})`);
  return lines.slice(1).map((l, i) => {
    const cells = splitCsv(l);
    const row: Record<string, string> = {};
    header.forEach((h, k) => (row[h] = (cells[k] ?? '').trim()));
    return normalizeCalendarEvent(row as unknown as CalendarInput, `line ${i + 2}`);
  });
}

export function parseCalendarJson(value: unknown): CalendarEvent[] {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as { events?: unknown }).events) ? (value as { events: unknown[] }).events : bad('JSON must be an array of entries or {events: [...]}');
  return list.map((x, i) => {
    if (!x || typeof x !== 'object') bad('entry is not an object', `entry ${i}`);
    return normalizeCalendarEvent(x as CalendarInput, `entry ${i}`);
  });
}
