/**
 * A local server answering like the Midtrans Snap sandbox: `POST /snap/v1/transactions`
 * with Basic auth of the server key → 201 `{token, redirect_url}`; a reused
 * order_id → 400 with `error_messages`; a wrong key → 401. Also builds signed
 * HTTP notifications the way Midtrans sends them.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMidtrans {
  url: string;
  requests: { auth: string | undefined; body: any }[];
  close(): Promise<void>;
}

export async function startFakeMidtrans(serverKey: string): Promise<FakeMidtrans> {
  const orders = new Set<string>();
  const requests: FakeMidtrans['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/snap/v1/transactions') return send(404, { error_messages: ['not found'] });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      requests.push({ auth: req.headers.authorization, body });
      if (req.headers.authorization !== 'Basic ' + Buffer.from(serverKey + ':').toString('base64')) {
        return send(401, { error_messages: ['Access denied due to unauthorized transaction, please check client or server key'] });
      }
      const td = body.transaction_details;
      if (!td || typeof td.order_id !== 'string' || !Number.isInteger(td.gross_amount) || td.gross_amount < 1) {
        return send(400, { error_messages: ['transaction_details.gross_amount is required'] });
      }
      if (orders.has(td.order_id)) return send(400, { error_messages: ['transaction_details.order_id sudah digunakan'] });
      orders.add(td.order_id);
      const token = randomUUID();
      send(201, { token, redirect_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/snap/v4/redirection/${token}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A notification body as Midtrans posts it, signed with `serverKey`. */
export function signedNotification(serverKey: string, orderId: string, grossAmount: number, transactionStatus: string, extra: Record<string, string> = {}) {
  const status_code = transactionStatus === 'pending' ? '201' : transactionStatus === 'deny' ? '202' : transactionStatus === 'expire' ? '407' : '200';
  const gross_amount = `${grossAmount}.00`;
  return {
    transaction_time: '2024-03-15 10:00:00', transaction_status: transactionStatus, transaction_id: `tx-${orderId}`, status_message: 'midtrans payment notification',
    status_code, signature_key: createHash('sha512').update(orderId + status_code + gross_amount + serverKey).digest('hex'),
    payment_type: 'bank_transfer', order_id: orderId, merchant_id: 'G000000000', gross_amount, fraud_status: 'accept', currency: 'IDR', ...extra,
  };
}
