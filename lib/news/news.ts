/**
 * News items: normalisation of submitted items and a small RSS 2.0 / Atom
 * reader for polled feeds (title, summary, link, time; nothing else is needed).
 */
import { createHash } from 'node:crypto';
import type { NewsItem } from '../../types/events';
import { DomainError } from '../errors';

export interface NewsInput {
  id?: string;
  source: string;
  title: string;
  body?: string;
  publishedAt?: number;
  symbols?: string[];
  url?: string;
}

/** Stable id from source, title and time, for items that come without one. */
export function newsId(source: string, title: string, publishedAt: number): string {
  return createHash('sha1').update(`${source}\n${title}\n${publishedAt}`).digest('hex').slice(0, 20);
}

/** Validate an item; `now` stands in for a missing publication time. */
export function normalizeNews(x: NewsInput, now: number): NewsItem {
  const title = x.title?.trim();
  if (!title) throw new DomainError('BAD_NEWS', 'title is required', 422);
  const source = x.source?.trim() || 'unknown';
  const publishedAt = x.publishedAt ?? now;
  if (!Number.isFinite(publishedAt)) throw new DomainError('BAD_NEWS', 'publishedAt must be ms since epoch', 422);
  const item: NewsItem = { id: x.id?.trim() || newsId(source, title, publishedAt), source, title, publishedAt };
  if (x.body?.trim()) item.body = x.body.trim();
  if (x.symbols?.length) item.symbols = x.symbols.map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (x.url) item.url = x.url;
  return item;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decode(s: string): string {
  return s
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x?[0-9a-f]+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

function tag(block: string, names: string[]): string | undefined {
  for (const n of names) {
    const m = new RegExp(`<${n}(?:\\s[^>]*)?>([\\s\\S]*?)</${n}>`, 'i').exec(block);
    if (m) return decode(m[1]);
  }
  return undefined;
}

function attr(block: string, el: string, name: string): string | undefined {
  const m = new RegExp(`<${el}\\s[^>]*${name}="([^"]*)"`, 'i').exec(block);
  return m?.[1];
}

/** Items of an RSS 2.0 or Atom document; entries without a title or a parseable time are skipped. */
export function parseFeed(xml: string, source: string): NewsItem[] {
  const blocks = [...xml.matchAll(/<(item|entry)(?:\s[^>]*)?>([\s\S]*?)<\/\1>/gi)].map((m) => m[2]);
  const out: NewsItem[] = [];
  for (const b of blocks) {
    const title = tag(b, ['title']);
    const when = tag(b, ['pubDate', 'published', 'updated', 'dc:date']);
    const t = when ? Date.parse(when) : NaN;
    if (!title || !Number.isFinite(t)) continue;
    const body = tag(b, ['description', 'summary', 'content']);
    const url = tag(b, ['link']) || attr(b, 'link', 'href');
    const guid = tag(b, ['guid', 'id']);
    out.push(normalizeNews({ id: guid ? newsId(source, guid, 0) : undefined, source, title, body, publishedAt: t, url }, t));
  }
  return out;
}
