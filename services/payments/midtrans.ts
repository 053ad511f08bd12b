/**
 * Midtrans Snap over HTTP, and the checks of its HTTP notifications.
 *
 * - Create a transaction: `POST {base}/snap/v1/transactions`, Basic auth with the
 *   server key as user and an empty password; answers 201 `{token, redirect_url}`.
 * - Notification signature: `sha512(order_id + status_code + gross_amount + server_key)`
 *   in hex, over the strings exactly as Midtrans sent them (gross_amount like "790000.00").
 * - Status: capture (fraud accept) / settlement → paid; pending, capture with a
 *   fraud challenge → pending; deny / cancel / expire / failure → failed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { UnavailableError } from '../../lib/errors';

export interface SnapTransactionRequest {
  transaction_details: { order_id: string; gross_amount: number };
  customer_details?: { first_name?: string; last_name?: string; email?: string; phone?: string };
  item_details?: { id: string; price: number; quantity: number; name: string }[];
}

export interface SnapTransaction {
  token: string;
  redirect_url: string;
}

export interface MidtransNotification {
  order_id: string;
  status_code: string;
  gross_amount: string;
  signature_key: string;
  transaction_status: string;
  fraud_status?: string;
  transaction_id?: string;
  payment_type?: string;
}

export type MappedStatus = 'paid' | 'pending' | 'failed';

export class MidtransError extends Error {
  constructor(public readonly status: number, public readonly messages: string[]) {
    super(`Midtrans answered ${status}: ${messages.join('; ')}`);
    this.name = 'MidtransError';
  }
}

/** Create a Snap transaction; MidtransError for a 4xx answer, UnavailableError when Midtrans cannot be reached or fails. */
export async function createSnapTransaction(baseUrl: string, serverKey: string, body: SnapTransactionRequest, timeoutMs = 10_000): Promise<SnapTransaction> {
  let res: Response;
  try {
    res = await fetch(new URL('/snap/v1/transactions', baseUrl), {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from(serverKey + ':').toString('base64') },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new UnavailableError('midtrans', (e as Error).message, e);
  }
  const text = await res.text();
  let json: { token?: string; redirect_url?: string; error_messages?: string[] } = {};
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = { error_messages: [text.slice(0, 200)] };
  }
  if (res.status >= 500) throw new UnavailableError('midtrans', `HTTP ${res.status}`);
  if (res.status >= 400 || !json.token || !json.redirect_url) throw new MidtransError(res.status, json.error_messages ?? ['no token in the answer']);
  return { token: json.token, redirect_url: json.redirect_url };
}

export function notificationSignature(orderId: string, statusCode: string, grossAmount: string, serverKey: string): string {
  return createHash('sha512').update(orderId + statusCode + grossAmount + serverKey).digest('hex');
}

/** Constant-time check of a notification's `signature_key`. */
export function verifyNotification(n: MidtransNotification, serverKey: string): boolean {
  const want = Buffer.from(notificationSignature(n.order_id, n.status_code, n.gross_amount, serverKey), 'hex');
  const got = Buffer.from(/^[0-9a-f]{128}$/i.test(n.signature_key) ? n.signature_key : '', 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

export function mapStatus(transactionStatus: string, fraudStatus?: string): MappedStatus {
  switch (transactionStatus) {
    case 'settlement':
      return 'paid';
    case 'capture':
      return fraudStatus === 'challenge' ? 'pending' : fraudStatus === 'deny' ? 'failed' : 'paid';
    case 'pending':
      return 'pending';
    default:
      return 'failed'; // deny, cancel, expire, failure
  }
}

/** "790000.00" → 790000 (IDR has no minor unit at Midtrans); NaN when not a plain amount. */
export function parseGrossAmount(s: string): number {
  return /^\d+(\.\d{1,2})?$/.test(s) ? Math.round(Number(s)) : NaN;
}
