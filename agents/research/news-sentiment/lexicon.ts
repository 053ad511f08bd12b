/**
 * Finance-aware sentiment: which asset a phrase is about, and whether it is good
 * or bad for that asset's price. Scores are per asset ("hawkish" is good for the
 * currency of the central bank that says it), so a pair's view is
 * score(base) − score(quote).
 */

/** Phrases (lower-case, single spaces) naming an asset. Longest match wins. */
export const ENTITIES: Record<string, string> = {
  ecb: 'EUR', 'european central bank': 'EUR', draghi: 'EUR', lagarde: 'EUR', eurozone: 'EUR', 'euro zone': 'EUR', 'euro area': 'EUR', euro: 'EUR', euros: 'EUR', eur: 'EUR', bundesbank: 'EUR', weidmann: 'EUR', ifo: 'EUR', zew: 'EUR', german: 'EUR', germany: 'EUR',
  fed: 'USD', 'federal reserve': 'USD', fomc: 'USD', powell: 'USD', yellen: 'USD', dollar: 'USD', greenback: 'USD', usd: 'USD', 'u.s.': 'USD', treasury: 'USD', treasuries: 'USD', payrolls: 'USD', nonfarm: 'USD', 'non-farm': 'USD',
  boe: 'GBP', 'bank of england': 'GBP', carney: 'GBP', bailey: 'GBP', sterling: 'GBP', pound: 'GBP', gbp: 'GBP', uk: 'GBP', britain: 'GBP', british: 'GBP',
  boj: 'JPY', 'bank of japan': 'JPY', kuroda: 'JPY', ueda: 'JPY', yen: 'JPY', jpy: 'JPY', japan: 'JPY', japanese: 'JPY',
  snb: 'CHF', 'swiss national bank': 'CHF', franc: 'CHF', chf: 'CHF',
  rba: 'AUD', aussie: 'AUD', aud: 'AUD', australia: 'AUD', australian: 'AUD',
  rbnz: 'NZD', kiwi: 'NZD', nzd: 'NZD', 'new zealand': 'NZD',
  boc: 'CAD', 'bank of canada': 'CAD', loonie: 'CAD', cad: 'CAD', canada: 'CAD', canadian: 'CAD',
  gold: 'XAU', bullion: 'XAU', xau: 'XAU',
  silver: 'XAG', xag: 'XAG',
  oil: 'OIL', crude: 'OIL', brent: 'OIL', wti: 'OIL',
};

/** Word or phrase → effect on the asset it is about, roughly in [-2, 2]. */
export const POLARITY: Record<string, number> = {
  // monetary policy
  hawkish: 1.5, 'rate hike': 1.3, 'rate hikes': 1.3, hike: 1.1, hikes: 1.1, hiked: 1.1, 'raise rates': 1.3, 'raised rates': 1.3, tighten: 1, tightening: 1, taper: 0.8, tapering: 0.8,
  dovish: -1.5, 'rate cut': -1.3, 'rate cuts': -1.3, cut: -1.1, cuts: -1.1, 'cut rates': -1.3, easing: -1, ease: -0.8, stimulus: -1, 'quantitative easing': -1.3, qe: -1.2, 'negative rates': -1.3, 'act in june': -1, acting: -0.5,
  // data and markets
  beat: 1, beats: 1, 'better than expected': 1.2, 'better-than-expected': 1.2, 'above expectations': 1, surprise: 0.3,
  miss: -1, misses: -1, missed: -1, 'worse than expected': -1.2, 'worse-than-expected': -1.2, 'below expectations': -1, disappoint: -1, disappoints: -1, disappointing: -1,
  strong: 0.8, stronger: 0.9, strength: 0.7, strengthens: 0.9, robust: 0.8, solid: 0.6, upbeat: 0.8, optimism: 0.7, optimistic: 0.7, confidence: 0.4, recovery: 0.7, growth: 0.5, expansion: 0.6, accelerate: 0.6, accelerates: 0.6,
  weak: -0.8, weaker: -0.9, weakness: -0.8, weakens: -0.9, soft: -0.5, sluggish: -0.7, pessimism: -0.7, recession: -1.2, contraction: -0.9, slowdown: -0.8, slows: -0.6, deflation: -1, stagnation: -0.9, crisis: -1.2, turmoil: -1, default: -1.2, concern: -0.4, concerns: -0.4, worries: -0.5, fears: -0.5,
  surge: 1, surges: 1, surged: 1, soar: 1.1, soars: 1.1, soared: 1.1, rally: 0.9, rallies: 0.9, rallied: 0.9, jump: 0.8, jumps: 0.8, jumped: 0.8, gain: 0.6, gains: 0.6, gained: 0.6, rise: 0.5, rises: 0.5, rose: 0.5, climb: 0.6, climbs: 0.6, climbed: 0.6, higher: 0.4, 'record high': 0.9, upgrade: 1, upgraded: 1, firm: 0.4, firmer: 0.5,
  plunge: -1.1, plunges: -1.1, plunged: -1.1, slump: -1, slumps: -1, slumped: -1, tumble: -1, tumbles: -1, tumbled: -1, fall: -0.6, falls: -0.6, fell: -0.6, drop: -0.6, drops: -0.6, dropped: -0.6, decline: -0.6, declines: -0.6, declined: -0.6, slide: -0.7, slides: -0.7, slid: -0.7, lower: -0.4, 'record low': -0.9, downgrade: -1, downgraded: -1, 'sell-off': -1, selloff: -1,
};

export const NEGATIONS = new Set(['not', 'no', 'never', "n't", 'without', 'hardly', 'neither', 'nor', 'unlikely', 'rules out', 'ruled out']);

/** Multipliers of the next sentiment word. */
export const INTENSIFIERS: Record<string, number> = {
  very: 1.5, sharply: 1.6, sharp: 1.5, strongly: 1.5, significantly: 1.4, much: 1.3, massive: 1.7, huge: 1.6, steep: 1.5, steeply: 1.5, aggressive: 1.5, aggressively: 1.5, big: 1.3,
  slightly: 0.5, slight: 0.5, modestly: 0.6, modest: 0.6, somewhat: 0.6, marginally: 0.4, marginal: 0.4, little: 0.6, mildly: 0.6, mild: 0.6,
};

export interface Token {
  text: string;
  /** Index of the sentence the token belongs to. */
  sentence: number;
}

/** Lower-cased word tokens, keeping "u.s.", "n't" and hyphenated words; sentences split on . ! ? ; */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let sentence = 0;
  const re = /u\.s\.|n't|[a-z][a-z0-9'-]*|[.!?;]/g;
  // "US" in capitals is the country; "us" in lower case is a pronoun.
  const lower = text.replace(/\bUS\b/g, 'U.S.').toLowerCase().replace(/\u2019/g, "'");
  let m: RegExpExecArray | null;
  while ((m = re.exec(lower)) !== null) {
    const w = m[0];
    if (w === '.' || w === '!' || w === '?' || w === ';') {
      sentence++;
      continue;
    }
    if (w.endsWith("n't") && w.length > 3) {
      out.push({ text: w.slice(0, -3), sentence }, { text: "n't", sentence });
      continue;
    }
    out.push({ text: w, sentence });
  }
  return out;
}

/** Longest phrase from `dict` starting at token i (up to 3 words); returns the phrase and its length in tokens. */
export function matchPhrase<T>(tokens: readonly Token[], i: number, dict: Record<string, T>): { key: string; len: number } | null {
  for (let len = 3; len >= 1; len--) {
    if (i + len > tokens.length) continue;
    if (tokens[i + len - 1].sentence !== tokens[i].sentence) continue;
    const key = tokens
      .slice(i, i + len)
      .map((t) => t.text)
      .join(' ');
    if (Object.prototype.hasOwnProperty.call(dict, key)) return { key, len };
  }
  return null;
}

export interface AssetScore {
  /** Summed, attributed polarity per asset code. */
  scores: Record<string, number>;
  /** The sentiment phrases found, for the rationale. */
  hits: { phrase: string; asset: string; value: number }[];
}

/**
 * Score a text per asset. Each sentiment phrase goes to the nearest entity in
 * its sentence (else to `fallbackAssets`, e.g. the headline's or the publisher's
 * tags). A negation within the three tokens before flips it; an intensifier
 * right before (or an -ly intensifier right after: "falls sharply") scales it.
 */
export function scoreText(text: string, fallbackAssets: readonly string[] = []): AssetScore {
  const tokens = tokenize(text);
  const ents: { i: number; asset: string; sentence: number }[] = [];
  const sents: { i: number; phrase: string; value: number; sentence: number }[] = [];
  for (let i = 0; i < tokens.length; ) {
    const e = matchPhrase(tokens, i, ENTITIES);
    const p = matchPhrase(tokens, i, POLARITY);
    if (e && (!p || e.len >= p.len)) {
      ents.push({ i, asset: ENTITIES[e.key], sentence: tokens[i].sentence });
      i += e.len;
      continue;
    }
    if (p) {
      let v = POLARITY[p.key];
      for (let k = Math.max(0, i - 3); k < i; k++) {
        if (tokens[k].sentence !== tokens[i].sentence) continue;
        if (NEGATIONS.has(tokens[k].text)) v = -v;
      }
      const prev = tokens[i - 1];
      if (prev && prev.sentence === tokens[i].sentence && INTENSIFIERS[prev.text] !== undefined) v *= INTENSIFIERS[prev.text];
      else {
        // "falls sharply": an adverb right after the phrase
        const next = tokens[i + p.len];
        if (next && next.sentence === tokens[i].sentence && next.text.endsWith('ly') && INTENSIFIERS[next.text] !== undefined) v *= INTENSIFIERS[next.text];
      }
      sents.push({ i, phrase: p.key, value: v, sentence: tokens[i].sentence });
      i += p.len;
      continue;
    }
    i++;
  }
  const scores: Record<string, number> = {};
  const hits: AssetScore['hits'] = [];
  for (const s of sents) {
    let best: { asset: string; d: number } | null = null;
    for (const e of ents) {
      if (e.sentence !== s.sentence) continue;
      const d = Math.abs(e.i - s.i);
      if (!best || d < best.d) best = { asset: e.asset, d };
    }
    const targets = best ? [best.asset] : fallbackAssets;
    for (const a of targets) {
      scores[a] = (scores[a] ?? 0) + s.value;
      hits.push({ phrase: s.phrase, asset: a, value: s.value });
    }
  }
  return { scores, hits };
}

/** Assets found in a text (for headline context). */
export function entitiesIn(text: string): string[] {
  const tokens = tokenize(text);
  const out = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const e = matchPhrase(tokens, i, ENTITIES);
    if (e) out.add(ENTITIES[e.key]);
  }
  return [...out];
}

export { symbolAssets } from '../../../lib/agents/symbols';
