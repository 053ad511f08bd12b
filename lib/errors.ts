/**
 * Domain errors, free of any framework. The broker's error middleware turns a
 * `DomainError` into a MoleculerClientError (4xx) and an `UnavailableError` into
 * a ServiceNotAvailableError (503), so lib/ never imports moleculer.
 */
export class DomainError extends Error {
  constructor(
    /** Stable machine code: RISK_LIMIT, TIER_LIMIT, BAD_TICK, NOT_FOUND … */
    public readonly code: string,
    message: string,
    /** HTTP-like status, 4xx. */
    public readonly status = 422,
    public readonly data?: unknown,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string | number, data?: unknown) {
    super('NOT_FOUND', `${what} ${id} not found`, 404, data);
    this.name = 'NotFoundError';
  }
}

/** Infrastructure trouble (database, Redis, NATS unreachable): 503, retryable. */
export class UnavailableError extends Error {
  constructor(public readonly dependency: string, message: string, cause?: unknown) {
    super(`${dependency} unavailable: ${message}`, { cause });
    this.name = 'UnavailableError';
  }
}
