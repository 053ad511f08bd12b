/**
 * Turns framework-free domain errors into Moleculer errors at the action
 * boundary, so lib/ never imports moleculer and every error that leaves an
 * action carries a stable code and the right class:
 *   DomainError      → MoleculerClientError (4xx, code kept in `type`)
 *   UnavailableError → ServiceNotAvailableError-like 503 (retryable)
 */
import { Errors, Middleware } from 'moleculer';
import { DomainError, UnavailableError } from '../lib/errors';

export function toMoleculerError(e: unknown): unknown {
  if (e instanceof DomainError) return new Errors.MoleculerClientError(e.message, e.status, e.code, e.data);
  if (e instanceof UnavailableError) return new Errors.MoleculerRetryableError(e.message, 503, 'SERVICE_UNAVAILABLE', { dependency: e.dependency });
  return e;
}

function rethrow(e: unknown): never {
  throw toMoleculerError(e);
}

export const ErrorsMiddleware: Middleware = {
  name: 'DomainErrors',
  // Promise chains rather than async wrappers: one promise less per call on every action.
  localAction(next) {
    return function domainErrors(this: unknown, ctx) {
      try {
        return Promise.resolve(next.call(this as never, ctx)).catch(rethrow);
      } catch (e) {
        return Promise.reject(toMoleculerError(e));
      }
    };
  },
  localEvent(next) {
    return function domainErrorsEvent(this: unknown, ctx) {
      try {
        return Promise.resolve((next as (c: unknown) => unknown).call(this, ctx)).catch(rethrow);
      } catch (e) {
        return Promise.reject(toMoleculerError(e));
      }
    };
  },
} as Middleware;
