/**
 * Position sizing: pure functions from account, instrument and risk budget to a
 * volume in lots, rounded to what the instrument allows.
 *
 * Conventions:
 * - volume is in lots; one lot moves `contractSize` units of the base asset
 *   (100,000 for standard FX, 100 oz for XAUUSD, 1 for a share);
 * - a price move of Δ in the quote currency changes a one-lot position's value by
 *   Δ · contractSize · `quoteToAccount` account-currency units (1 when the account is
 *   in the quote currency, e.g. USD account trading EURUSD);
 * - fractions are of account equity (0.01 = 1 %);
 * - the result is rounded DOWN to the volume step, capped at `volumeMax`, and 0 when
 *   below `volumeMin` (a risk budget is never exceeded by rounding).
 */
import { DomainError } from '../errors';

export interface VolumeSpec {
  /** Units per lot (MT5 SYMBOL_TRADE_CONTRACT_SIZE). */
  contractSize: number;
  /** Smallest volume (SYMBOL_VOLUME_MIN). */
  volumeMin: number;
  /** Largest volume (SYMBOL_VOLUME_MAX). */
  volumeMax: number;
  /** Volume granularity (SYMBOL_VOLUME_STEP). */
  volumeStep: number;
}

export interface SizeResult {
  /** Volume in lots after rounding (0 = no trade). */
  volume: number;
  /** Volume before rounding. */
  raw: number;
  /** Account money at risk with `volume` (loss if the stop is hit). */
  riskAmount: number;
  /** Why the volume is 0 or capped, when it is. */
  note?: string;
}

function positive(name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new DomainError('BAD_SIZING', `${name} must be a positive finite number, got ${v}`);
}

function fraction(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new DomainError('BAD_SIZING', `${name} must be a fraction in [0, 1], got ${v}`);
}

/** Number of decimals of a step like 0.01 → 2, used to remove float dust after rounding. */
function decimalsOf(step: number): number {
  const s = step.toString();
  const e = s.indexOf('e-');
  if (e >= 0) return Number(s.slice(e + 2));
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** True when `volume` is an integer multiple of `step` (to 1e-9 of a step). */
export function isMultipleOfStep(volume: number, step: number): boolean {
  const k = volume / step;
  return Math.abs(k - Math.round(k)) < 1e-9;
}

/** Round a raw volume down to the step and into [volumeMin, volumeMax]; 0 when below the minimum. */
export function roundVolume(raw: number, spec: VolumeSpec): { volume: number; note?: string } {
  if (!(raw > 0) || !Number.isFinite(raw)) return { volume: 0, note: 'size is zero' };
  const steps = Math.floor(raw / spec.volumeStep + 1e-9);
  let volume = Number((steps * spec.volumeStep).toFixed(decimalsOf(spec.volumeStep)));
  let note: string | undefined;
  if (volume > spec.volumeMax) {
    volume = spec.volumeMax;
    note = `capped at the symbol's maximum volume ${spec.volumeMax}`;
  }
  if (volume < spec.volumeMin) return { volume: 0, note: `size ${raw.toPrecision(4)} is below the symbol's minimum volume ${spec.volumeMin}` };
  return note ? { volume, note } : { volume };
}

export interface FixedFractionInput {
  /** Account equity in account currency. */
  equity: number;
  /** Fraction of equity to lose if the stop is hit (0.01 = 1 %). */
  riskFraction: number;
  /** Distance from entry to stop in price units (> 0). */
  stopDistance: number;
  spec: VolumeSpec;
  /** Account-currency value of one unit of quote currency (default 1). */
  quoteToAccount?: number;
}

/**
 * Fixed-fractional sizing: volume = equity·riskFraction / (stopDistance·contractSize·quoteToAccount).
 * E.g. equity 10,000 USD, 1 %, 50-pip stop (0.0050) on EURUSD (100,000): 100 / 500 = 0.2 lots.
 */
export function fixedFractionSize(i: FixedFractionInput): SizeResult {
  positive('equity', i.equity);
  fraction('riskFraction', i.riskFraction);
  positive('stopDistance', i.stopDistance);
  positive('contractSize', i.spec.contractSize);
  const q = i.quoteToAccount ?? 1;
  positive('quoteToAccount', q);
  const lossPerLot = i.stopDistance * i.spec.contractSize * q;
  const raw = (i.equity * i.riskFraction) / lossPerLot;
  const r = roundVolume(raw, i.spec);
  return { volume: r.volume, raw, riskAmount: r.volume * lossPerLot, ...(r.note ? { note: r.note } : {}) };
}

export interface VolatilityTargetInput {
  equity: number;
  /** Fraction of equity one ATR move of the position may cost (0.005 = 0.5 % per ATR). */
  targetFraction: number;
  /** Average True Range in price units, over the bars the strategy trades. */
  atr: number;
  /** Multiple of ATR used as the risk unit (stop distance), default 1. */
  atrMultiple?: number;
  spec: VolumeSpec;
  quoteToAccount?: number;
}

/**
 * Volatility-target sizing via ATR: the position is sized so that a move of
 * `atrMultiple`·ATR costs `targetFraction` of equity:
 * volume = equity·targetFraction / (atrMultiple·ATR·contractSize·quoteToAccount).
 * Quieter markets get larger positions, wilder markets smaller ones, for the same risk.
 */
export function volatilityTargetSize(i: VolatilityTargetInput): SizeResult {
  positive('atr', i.atr);
  const k = i.atrMultiple ?? 1;
  positive('atrMultiple', k);
  return fixedFractionSize({ equity: i.equity, riskFraction: i.targetFraction, stopDistance: k * i.atr, spec: i.spec, quoteToAccount: i.quoteToAccount });
}

export interface KellyInput {
  /** Probability of a winning trade, in [0, 1]. */
  winRate: number;
  /** Payoff ratio b = average win / average loss (> 0). */
  payoff: number;
  /** Multiplier on full Kelly (0.5 = "half Kelly"), default 1. */
  fraction?: number;
  /** Upper bound on the returned fraction, default 1. */
  cap?: number;
}

/**
 * Kelly fraction of equity to risk: f* = p − (1 − p)/b (Kelly 1956; Thorp), scaled by
 * `fraction` and clamped to [0, cap]. A negative edge gives 0 (no bet).
 * E.g. p = 0.6, b = 1 → 0.2; p = 0.55, b = 2 → 0.325; half-Kelly of the latter → 0.1625.
 */
export function kellyFraction(i: KellyInput): number {
  fraction('winRate', i.winRate);
  positive('payoff', i.payoff);
  const mult = i.fraction ?? 1;
  const cap = i.cap ?? 1;
  if (!(mult >= 0) || !Number.isFinite(mult)) throw new DomainError('BAD_SIZING', `fraction must be ≥ 0, got ${mult}`);
  fraction('cap', cap);
  const full = i.winRate - (1 - i.winRate) / i.payoff;
  return Math.min(cap, Math.max(0, full * mult));
}

/** Win rate and payoff ratio (mean win / mean |loss|) of closed-trade P&Ls; zero P&Ls count as neither. */
export function kellyInputsFromTrades(pnls: ArrayLike<number>): { winRate: number; payoff: number; trades: number } {
  let wins = 0;
  let losses = 0;
  let sumWin = 0;
  let sumLoss = 0;
  for (let i = 0; i < pnls.length; i++) {
    const x = pnls[i];
    if (x > 0) {
      wins++;
      sumWin += x;
    } else if (x < 0) {
      losses++;
      sumLoss -= x;
    }
  }
  const trades = wins + losses;
  if (wins === 0 || losses === 0) throw new DomainError('BAD_SIZING', `Kelly needs at least one win and one loss (wins ${wins}, losses ${losses})`);
  return { winRate: wins / trades, payoff: sumWin / wins / (sumLoss / losses), trades };
}

export interface KellySizeInput extends KellyInput {
  equity: number;
  stopDistance: number;
  spec: VolumeSpec;
  quoteToAccount?: number;
}

/** Size with the (capped) Kelly fraction as the fraction of equity lost at the stop. */
export function kellySize(i: KellySizeInput): SizeResult & { kelly: number } {
  const f = kellyFraction(i);
  if (f === 0) return { volume: 0, raw: 0, riskAmount: 0, kelly: 0, note: 'no edge: Kelly fraction is 0' };
  return { ...fixedFractionSize({ equity: i.equity, riskFraction: f, stopDistance: i.stopDistance, spec: i.spec, quoteToAccount: i.quoteToAccount }), kelly: f };
}
