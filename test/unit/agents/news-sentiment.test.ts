import { NewsSentimentAgent } from '../../../agents/research/news-sentiment/news-sentiment.agent';
import { scoreText, symbolAssets, tokenize } from '../../../agents/research/news-sentiment/lexicon';
import { argmaxAction, checkOpinion } from '../../../lib/agents/opinion';
import type { NewsItem } from '../../../types/events';
import { eurusdTicks20140508, ticksToM1 } from '../../helpers/bars';

const T0 = Date.UTC(2014, 4, 8, 12, 45);
let n = 0;
const item = (title: string, publishedAt = T0, extra: Partial<NewsItem> = {}): NewsItem => ({ id: `n${++n}`, source: 'wire', title, publishedAt, ...extra });

function opine(items: NewsItem[], symbol = 'EURUSD', asOf = T0 + 15 * 60_000) {
  const a = new NewsSentimentAgent();
  for (const it of items) a.update({ type: 'news.published', item: it });
  const o = a.opine({ symbol, tf: 'M1', asOf });
  expect(checkOpinion(o)).toEqual([]);
  return o;
}

describe('news-sentiment lexicon', () => {
  it('tokenizes US as the country and splits contractions', () => {
    expect(tokenize("US data won't help us").map((t) => t.text)).toEqual(['u.s.', 'data', 'wo', "n't", 'help', 'us']);
    expect(symbolAssets('EURUSD')).toEqual({ base: 'EUR', quote: 'USD' });
    expect(symbolAssets('XAUUSD')).toEqual({ base: 'XAU', quote: 'USD' });
  });

  it('attributes each phrase to the nearest entity', () => {
    const s = scoreText('ECB turns dovish while the Fed stays hawkish');
    expect(s.scores.EUR).toBeCloseTo(-1.5, 12);
    expect(s.scores.USD).toBeCloseTo(1.5, 12);
  });

  it('flips on negation and scales with intensity', () => {
    expect(scoreText('ECB will not cut rates').scores.EUR).toBeGreaterThan(0);
    expect(scoreText('ECB will cut rates').scores.EUR).toBeLessThan(0);
    const sharply = scoreText('euro falls sharply').scores.EUR;
    const slightly = scoreText('euro falls slightly').scores.EUR;
    expect(sharply).toBeCloseTo(-0.6 * 1.6, 12);
    expect(slightly).toBeCloseTo(-0.6 * 0.5, 12);
    expect(scoreText('a sharply weaker euro').scores.EUR).toBeCloseTo(-0.9 * 1.6, 12);
  });
});

describe('news-sentiment agent', () => {
  it('reads the 2014-05-08 ECB press conference as EUR-negative, which is where EURUSD went (real ticks)', () => {
    const o = opine([item('Draghi signals ECB easing in June; euro sharply lower', T0, { body: 'The ECB is comfortable with acting next time, Draghi said.' })]);
    expect(o.signal).toBeLessThan(-0.3);
    expect(argmaxAction(o.p)).toBe('sell');
    expect(o.rationale).toMatch(/tone negative/);
    expect(o.rationale).toMatch(/−EUR "easing"/);
    const m1 = ticksToM1(eurusdTicks20140508(3));
    const at = (h: number, m: number) => m1.find((b) => b.t >= Date.UTC(2014, 4, 8, h, m))!.c;
    expect(at(16, 0)).toBeLessThan(at(12, 45));
  });

  it('is the mirror for the mirrored story (Fed easing, dollar lower)', () => {
    const eur = opine([item('Draghi signals ECB easing in June; euro sharply lower')]);
    const usd = opine([item('Yellen signals Fed easing in June; dollar sharply lower')]);
    expect(usd.signal).toBeCloseTo(-eur.signal, 12);
    expect(usd.confidence).toBeCloseTo(eur.confidence, 12);
  });

  it('reads gold news for XAUUSD and ignores news about other assets', () => {
    expect(opine([item('Gold rallies as investors seek safety')], 'XAUUSD').signal).toBeGreaterThan(0);
    const other = opine([item('Bank of Japan signals more stimulus; yen slides')], 'EURUSD');
    expect(other.signal).toBe(0);
    expect(other.rationale).toMatch(/No news on EURUSD/);
  });

  it('stands aside without news: hold-leaning, low confidence', () => {
    const o = opine([]);
    expect(o.confidence).toBeLessThanOrEqual(0.05);
    expect(argmaxAction(o.p)).toBe('hold');
  });

  it('lets fresh news outweigh old news and ignores news from the future', () => {
    const old = item('ECB hawkish, euro rallies', T0 - 12 * 3_600_000);
    const fresh = item('ECB dovish, euro tumbles', T0);
    expect(opine([old, fresh]).signal).toBeLessThan(0);
    const oneOld = opine([old]);
    const oneFresh = opine([item('ECB hawkish, euro rallies', T0)]);
    expect(oneOld.confidence).toBeLessThan(oneFresh.confidence);
    const future = opine([item('ECB dovish, euro tumbles', T0 + 3_600_000)]);
    expect(future.rationale).toMatch(/No news/);
  });

  it('counts items tagged with the symbol itself (equities)', () => {
    expect(opine([item('Earnings beat expectations, shares surge', T0, { symbols: ['GOOG'] })], 'GOOG').signal).toBeGreaterThan(0.3);
  });

  it('ignores a repeated item id', () => {
    const a = new NewsSentimentAgent();
    const it = item('ECB dovish');
    a.update({ type: 'news.published', item: it });
    a.update({ type: 'news.published', item: it });
    expect(a.snapshot()).toMatchObject({ items: 1 });
  });
});
