/**
 * The order state machine:
 *
 *   new ─▶ accepted ─▶ partially_filled ─▶ filled
 *    │        │               │
 *    │        ├─▶ rejected    ├─▶ cancelled | expired
 *    │        └─▶ cancelled | expired
 *    └─▶ unknown (MT5 timeout) ─▶ any state the broker's snapshot shows
 *
 * `new` may jump straight to a fill state when acceptance and execution are
 * recorded in one transaction (paper market orders); the history still lists both.
 */
import { DomainError } from '../errors';
import type { OrderStatus } from '../../types/trading';

const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  new: ['accepted', 'partially_filled', 'filled', 'rejected', 'cancelled', 'expired', 'unknown'],
  accepted: ['partially_filled', 'filled', 'rejected', 'cancelled', 'expired', 'unknown'],
  partially_filled: ['partially_filled', 'filled', 'cancelled', 'expired', 'unknown'],
  unknown: ['accepted', 'partially_filled', 'filled', 'rejected', 'cancelled', 'expired'],
  filled: [],
  rejected: [],
  cancelled: [],
  expired: [],
};

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['filled', 'rejected', 'cancelled', 'expired'];
/** States in which an order may still fill. */
export const LIVE_STATUSES: readonly OrderStatus[] = ['new', 'accepted', 'partially_filled', 'unknown'];

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

/** States an order may be in for a move to `to` (for guarded UPDATE … WHERE status = ANY(…)). */
export function statesBefore(to: OrderStatus): OrderStatus[] {
  return (Object.keys(NEXT) as OrderStatus[]).filter((s) => NEXT[s].includes(to));
}

export function isTerminal(s: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(s);
}

/** Throws ORDER_STATE (409) for a move the machine does not allow. */
export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  if (!canTransition(from, to)) throw new DomainError('ORDER_STATE', `an order in state ${from} cannot become ${to}`, 409, { from, to });
}
