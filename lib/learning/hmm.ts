/**
 * A Gaussian hidden Markov model with diagonal covariances: Baum-Welch fitting
 * (scaled forward-backward) and forward filtering. Pure and deterministic: the
 * caller gives the initial means; nothing is random.
 *
 * Observations are rows of `d` numbers. Variances are floored at
 * `varianceFloor` × the overall variance of each dimension so a state cannot
 * collapse onto one point; transition rows and the initial distribution are
 * smoothed by a small pseudo-count so no transition becomes impossible.
 */

export interface GaussianHmm {
  /** Number of states. */
  k: number;
  /** Observation dimension. */
  d: number;
  /** Initial state distribution (length k). */
  pi: Float64Array;
  /** Transition matrix, row-major: a[i·k + j] = P(state j at t+1 | state i at t). */
  a: Float64Array;
  /** Means, row-major k × d. */
  means: Float64Array;
  /** Diagonal variances, row-major k × d. */
  vars: Float64Array;
  /** Log-likelihood of the fitting data under the model. */
  logLik: number;
  /** Baum-Welch iterations run. */
  iterations: number;
}

export interface FitOptions {
  /** Initial means, k rows of d numbers. */
  initMeans: number[][];
  /** Start from this model's transitions, initial distribution and variances (a warm refit); its means are `initMeans`. */
  warm?: Pick<GaussianHmm, 'pi' | 'a' | 'vars'>;
  /** Maximum EM iterations (default 50). */
  maxIterations?: number;
  /** Stop when the log-likelihood improves by less than this (default 1e-6 relative). */
  tolerance?: number;
  /** Variance floor as a fraction of each dimension's overall variance (default 0.01). */
  varianceFloor?: number;
  /** Initial probability of staying in a state (default 0.9). */
  stay?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Emission densities b[t·k + j] = N(x_t | mean_j, diag(var_j)), scaled per row by its max (returned as log scale). `x` is n × d, row-major. */
function emissions(m: Pick<GaussianHmm, 'k' | 'd' | 'means' | 'vars'>, x: Float64Array, n: number, b: Float64Array, logScale: Float64Array): void {
  const { k, d } = m;
  const lp = new Float64Array(k);
  const norm = new Float64Array(k);
  const inv = new Float64Array(k * d);
  for (let j = 0; j < k; j++) {
    let c = 0;
    for (let q = 0; q < d; q++) {
      const v = m.vars[j * d + q];
      c += LOG_2PI + Math.log(v);
      inv[j * d + q] = 1 / v;
    }
    norm[j] = -0.5 * c;
  }
  for (let t = 0; t < n; t++) {
    let mx = -Infinity;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) {
        const z = x[t * d + q] - m.means[j * d + q];
        s += z * z * inv[j * d + q];
      }
      const v = norm[j] - 0.5 * s;
      lp[j] = v;
      if (v > mx) mx = v;
    }
    for (let j = 0; j < k; j++) b[t * k + j] = Math.exp(lp[j] - mx);
    logScale[t] = mx;
  }
}

/** Rows of d numbers → one n × d row-major array. */
function flatten(xs: readonly ArrayLike<number>[], d: number): Float64Array {
  const x = new Float64Array(xs.length * d);
  xs.forEach((r, t) => {
    for (let q = 0; q < d; q++) x[t * d + q] = r[q];
  });
  return x;
}

/**
 * Scaled forward pass: alpha[t·k + j] = P(state j at t | x_0..t) (filtered), and
 * the log-likelihood. `b`/`logScale` as from `emissions`.
 */
function forward(m: Pick<GaussianHmm, 'k' | 'pi' | 'a'>, b: Float64Array, logScale: Float64Array, n: number, alpha: Float64Array, c: Float64Array): number {
  const { k } = m;
  let ll = 0;
  for (let t = 0; t < n; t++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      let p: number;
      if (t === 0) p = m.pi[j];
      else {
        p = 0;
        for (let i = 0; i < k; i++) p += alpha[(t - 1) * k + i] * m.a[i * k + j];
      }
      const v = p * b[t * k + j];
      alpha[t * k + j] = v;
      s += v;
    }
    if (!(s > 0)) {
      // every state has (numerically) zero density: restart from the stationary guess
      for (let j = 0; j < k; j++) alpha[t * k + j] = 1 / k;
      s = 1;
    } else for (let j = 0; j < k; j++) alpha[t * k + j] /= s;
    c[t] = s;
    ll += Math.log(s) + logScale[t];
  }
  return ll;
}

/** Fit by Baum-Welch from the given initial means. Needs at least 2·k observations. */
export function fitGaussianHmm(xs: readonly ArrayLike<number>[], opts: FitOptions): GaussianHmm {
  const k = opts.initMeans.length;
  const n = xs.length;
  if (k < 1) throw new Error('hmm: at least one state');
  if (n < 2 * k) throw new Error(`hmm: ${n} observations are too few for ${k} states`);
  const d = opts.initMeans[0].length;
  const maxIt = opts.maxIterations ?? 50;
  const tol = opts.tolerance ?? 1e-6;
  const stay = opts.stay ?? 0.9;

  // overall mean and variance per dimension (the floor and the initial variances)
  const gMean = new Float64Array(d);
  const gVar = new Float64Array(d);
  for (const x of xs) for (let q = 0; q < d; q++) gMean[q] += x[q] / n;
  for (const x of xs) for (let q = 0; q < d; q++) gVar[q] += (x[q] - gMean[q]) ** 2 / n;
  const floor = new Float64Array(d);
  for (let q = 0; q < d; q++) {
    if (!(gVar[q] > 0)) gVar[q] = 1e-12;
    floor[q] = gVar[q] * (opts.varianceFloor ?? 0.01);
  }

  const m: GaussianHmm = {
    k,
    d,
    pi: new Float64Array(k).fill(1 / k),
    a: new Float64Array(k * k),
    means: Float64Array.from(opts.initMeans.flat()),
    vars: new Float64Array(k * d),
    logLik: -Infinity,
    iterations: 0,
  };
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) m.a[i * k + j] = k === 1 ? 1 : i === j ? stay : (1 - stay) / (k - 1);
  for (let j = 0; j < k; j++) for (let q = 0; q < d; q++) m.vars[j * d + q] = gVar[q] / k;
  if (opts.warm) {
    m.pi.set(opts.warm.pi);
    m.a.set(opts.warm.a);
    for (let i = 0; i < k * d; i++) m.vars[i] = Math.max(opts.warm.vars[i], floor[i % d]);
  }

  const x = flatten(xs, d);
  const b = new Float64Array(n * k);
  const logScale = new Float64Array(n);
  const alpha = new Float64Array(n * k);
  const beta = new Float64Array(n * k);
  const c = new Float64Array(n);
  const gamma = new Float64Array(n * k);
  const xi = new Float64Array(k * k);
  const PSEUDO = 1e-3;

  let prev = -Infinity;
  for (let it = 0; it < maxIt; it++) {
    emissions(m, x, n, b, logScale);
    const ll = forward(m, b, logScale, n, alpha, c);
    m.logLik = ll;
    m.iterations = it;
    if (it > 0 && Math.abs(ll - prev) <= tol * Math.max(1, Math.abs(prev))) break;
    prev = ll;

    // backward (same scaling)
    for (let j = 0; j < k; j++) beta[(n - 1) * k + j] = 1;
    for (let t = n - 2; t >= 0; t--) {
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += m.a[i * k + j] * b[(t + 1) * k + j] * beta[(t + 1) * k + j];
        beta[t * k + i] = s / c[t + 1];
      }
    }
    // posteriors
    xi.fill(0);
    for (let t = 0; t < n; t++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += (gamma[t * k + j] = alpha[t * k + j] * beta[t * k + j]);
      for (let j = 0; j < k; j++) gamma[t * k + j] /= s > 0 ? s : 1;
      if (t < n - 1) {
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) xi[i * k + j] += (alpha[t * k + i] * m.a[i * k + j] * b[(t + 1) * k + j] * beta[(t + 1) * k + j]) / c[t + 1];
      }
    }
    // re-estimate
    for (let j = 0; j < k; j++) m.pi[j] = (gamma[j] + PSEUDO) / (1 + k * PSEUDO);
    for (let i = 0; i < k; i++) {
      let row = 0;
      for (let j = 0; j < k; j++) row += xi[i * k + j] + PSEUDO;
      for (let j = 0; j < k; j++) m.a[i * k + j] = (xi[i * k + j] + PSEUDO) / row;
    }
    for (let j = 0; j < k; j++) {
      let w = 0;
      for (let t = 0; t < n; t++) w += gamma[t * k + j];
      if (!(w > 1e-9)) continue; // an unused state keeps its parameters
      for (let q = 0; q < d; q++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += gamma[t * k + j] * x[t * d + q];
        const mu = s / w;
        let v = 0;
        for (let t = 0; t < n; t++) v += gamma[t * k + j] * (x[t * d + q] - mu) ** 2;
        m.means[j * d + q] = mu;
        m.vars[j * d + q] = Math.max(v / w, floor[q]);
      }
    }
  }
  return m;
}

/** Filtered state probabilities P(state | x_0..t) for every t (rows of k), starting from `pi`. */
export function filterStates(m: GaussianHmm, xs: readonly ArrayLike<number>[]): Float64Array[] {
  const n = xs.length;
  const b = new Float64Array(n * m.k);
  const logScale = new Float64Array(n);
  const alpha = new Float64Array(n * m.k);
  const c = new Float64Array(n);
  emissions(m, flatten(xs, m.d), n, b, logScale);
  forward(m, b, logScale, n, alpha, c);
  const out: Float64Array[] = [];
  for (let t = 0; t < n; t++) out.push(alpha.slice(t * m.k, (t + 1) * m.k));
  return out;
}

/**
 * One step of the forward filter: P(state | x_0..t) from P(state | x_0..t−1)
 * (`prev`; null at the start, which uses `pi`).
 */
export function forwardStep(m: GaussianHmm, prev: ArrayLike<number> | null, x: ArrayLike<number>): Float64Array {
  const { k, d } = m;
  const lp = new Float64Array(k);
  let mx = -Infinity;
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let q = 0; q < d; q++) {
      const v = m.vars[j * d + q];
      const z = x[q] - m.means[j * d + q];
      s += -0.5 * (LOG_2PI + Math.log(v) + (z * z) / v);
    }
    lp[j] = s;
    if (s > mx) mx = s;
  }
  const out = new Float64Array(k);
  let sum = 0;
  for (let j = 0; j < k; j++) {
    let p = 0;
    if (prev === null) p = m.pi[j];
    else for (let i = 0; i < k; i++) p += prev[i] * m.a[i * k + j];
    out[j] = p * Math.exp(lp[j] - mx);
    sum += out[j];
  }
  if (!(sum > 0)) out.fill(1 / k);
  else for (let j = 0; j < k; j++) out[j] /= sum;
  return out;
}

/** Mean of state j, dimension q. */
export function stateMean(m: GaussianHmm, j: number, q: number): number {
  return m.means[j * m.d + q];
}
