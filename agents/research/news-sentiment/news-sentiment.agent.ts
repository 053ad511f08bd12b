/**
 * news-sentiment (research, market-scoped): what the news says about a symbol.
 *
 * Each item (`news.published`) is scored per asset by a finance-aware lexicon
 * (lexicon.ts: central-bank tone, data beats and misses, market verbs; negation
 * flips, intensity scales; each phrase goes to the nearest named entity). A
 * pair's item score is tanh((score(base) − score(quote)) / 2); items tagged
 * with the symbol itself count for it directly. Items are weighted by time
 * decay 0.5^(age / halfLife); items published after `asOf` are unseen.
 *
 * signal = Σ wᵢ sᵢ / Σ wᵢ; confidence = (1 − e^(−Σ wᵢ)) · (0.3 + 0.7 · agreement),
 * agreement = |Σ wᵢ sᵢ| / Σ wᵢ|sᵢ|. With no relevant news the agent stands
 * aside: hold-leaning, low confidence.
 */
import type { Agent, AgentEvent, OpinionDraft } from '../../../lib/agents/agent';
import { clamp, fmt, neutralDraft, opinionDraft, toProbabilities } from '../../../lib/agents/opinion';
import { applyParams, ParamSchema } from '../../../lib/agents/params';
import { decay } from '../../../lib/agents/stats';
import type { OpinionQuery } from '../../../types/agents';
import type { NewsItem } from '../../../types/events';
import { entitiesIn, scoreText, symbolAssets } from './lexicon';

export interface NewsSentimentParams {
  /** Half-life of an item's weight, minutes. */
  halfLifeMin: number;
  /** Items older than this many half-lives are forgotten. */
  horizonHalfLives: number;
  /** Items kept in memory. */
  maxItems: number;
}

export const NEWS_SENTIMENT_PARAMS: ParamSchema<NewsSentimentParams> = {
  halfLifeMin: { type: 'number', min: 1, max: 60 * 24 * 30, doc: 'half-life of a news item, minutes' },
  horizonHalfLives: { type: 'number', min: 1, max: 20, doc: 'items older than this many half-lives are ignored' },
  maxItems: { type: 'number', min: 10, max: 100_000, integer: true, doc: 'items kept' },
};

interface Scored {
  item: NewsItem;
  /** Per-asset score of the whole item (title counts double: it is what moves markets). */
  scores: Record<string, number>;
  hits: string[];
}

export class NewsSentimentAgent implements Agent {
  readonly id = 'news-sentiment';
  readonly group = 'research' as const;
  readonly scope = 'market' as const;
  readonly events = ['news.published'] as const;
  private items: Scored[] = [];
  private readonly ids = new Set<string>();
  private params: NewsSentimentParams;

  constructor(params: Partial<NewsSentimentParams> = {}) {
    this.params = applyParams(NEWS_SENTIMENT_PARAMS, { halfLifeMin: 360, horizonHalfLives: 5, maxItems: 5000 }, params);
  }

  update(e: AgentEvent): void {
    if (e.type !== 'news.published' || this.ids.has(e.item.id)) return;
    const it = e.item;
    const titleAssets = entitiesIn(it.title);
    const tagged = (it.symbols ?? []).map((s) => s.toUpperCase());
    const t = scoreText(it.title, tagged.length > 0 ? tagged : titleAssets);
    const b = it.body ? scoreText(it.body, titleAssets.length > 0 ? titleAssets : tagged) : { scores: {}, hits: [] };
    const scores: Record<string, number> = {};
    for (const [k, v] of Object.entries(t.scores)) scores[k] = (scores[k] ?? 0) + 2 * v;
    for (const [k, v] of Object.entries(b.scores)) scores[k] = (scores[k] ?? 0) + v;
    const hits = [...t.hits, ...b.hits].map((h) => `${h.value >= 0 ? '+' : '−'}${h.asset} "${h.phrase}"`);
    // Keep items ordered by publication time.
    const s: Scored = { item: it, scores, hits };
    let i = this.items.length;
    while (i > 0 && this.items[i - 1].item.publishedAt > it.publishedAt) i--;
    this.items.splice(i, 0, s);
    this.ids.add(it.id);
    if (this.items.length > this.params.maxItems) for (const old of this.items.splice(0, this.items.length - this.params.maxItems)) this.ids.delete(old.item.id);
  }

  /** An item's score for a symbol in [-1, 1], or null when it does not concern it. */
  private scoreFor(s: Scored, symbol: string): number | null {
    const sym = symbol.toUpperCase();
    if (s.scores[sym] !== undefined) return Math.tanh(s.scores[sym] / 2);
    const { base, quote } = symbolAssets(sym);
    const b = s.scores[base];
    const q = quote ? s.scores[quote] : undefined;
    if (b === undefined && q === undefined) return null;
    return Math.tanh(((b ?? 0) - (q ?? 0)) / 2);
  }

  opine(q: OpinionQuery): OpinionDraft {
    const last = this.items.length > 0 ? this.items[this.items.length - 1].item.publishedAt : 0;
    const asOf = q.asOf ?? last;
    const head = { agent: this.id, group: this.group, symbol: q.symbol, tf: q.tf, asOf };
    const halfLife = this.params.halfLifeMin * 60_000;
    const horizon = halfLife * this.params.horizonHalfLives;
    let sw = 0;
    let sws = 0;
    let swabs = 0;
    const used: { s: Scored; w: number; v: number }[] = [];
    for (let i = this.items.length - 1; i >= 0; i--) {
      const s = this.items[i];
      const age = asOf - s.item.publishedAt;
      if (age < 0) continue;
      if (age > horizon) break;
      const v = this.scoreFor(s, q.symbol);
      if (v === null) continue;
      const w = decay(age, halfLife);
      sw += w;
      sws += w * v;
      swabs += w * Math.abs(v);
      used.push({ s, w, v });
    }
    const hours = fmt(horizon / 3_600_000, 3);
    if (used.length === 0) return neutralDraft(head, `No news on ${q.symbol} in the last ${hours} h: standing aside.`, 0.05, 0.5);
    const signal = clamp(sws / sw, -1, 1);
    const agreement = swabs > 0 ? Math.abs(sws) / swabs : 0;
    const confidence = clamp((1 - Math.exp(-sw)) * (0.3 + 0.7 * agreement), 0, 1);
    const top = [...used].sort((a, b) => b.w * Math.abs(b.v) - a.w * Math.abs(a.v)).slice(0, 3);
    const lines = top.map(({ s, v }) => `"${s.item.title}" (${s.item.source}, ${fmt((asOf - s.item.publishedAt) / 60_000, 3)} min ago, ${v >= 0 ? '+' : ''}${fmt(v, 2)}${s.hits.length ? ': ' + s.hits.slice(0, 3).join(', ') : ''})`);
    const tone = signal > 0.1 ? 'positive' : signal < -0.1 ? 'negative' : 'mixed';
    const rationale = `${used.length} news item(s) on ${q.symbol} in the last ${hours} h, tone ${tone} (${signal >= 0 ? '+' : ''}${fmt(signal, 2)}), led by ${lines.join('; ')}.`;
    return opinionDraft(head, signal, toProbabilities(signal, confidence), confidence, rationale, { items: used.length, weight: sw, agreement });
  }

  configure(patch: Record<string, unknown>): Record<string, unknown> {
    this.params = applyParams(NEWS_SENTIMENT_PARAMS, this.params, patch);
    return { ...this.params };
  }

  config(): Record<string, unknown> {
    return { ...this.params };
  }

  snapshot(): Record<string, unknown> {
    return { items: this.items.length, latest: this.items.length ? this.items[this.items.length - 1].item.publishedAt : null };
  }
}
