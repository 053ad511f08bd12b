/**
 * `payments`: Midtrans Snap checkout for open invoices and the HTTP notification webhook.
 *
 * - REST `POST /payments` {invoiceId} → `{orderId, token, redirectUrl}`; an open
 *   invoice with a pending transaction gets that one again (no second charge).
 *   IDR invoices only (Midtrans settles rupiah). 503 when MIDTRANS_SERVER_KEY is unset.
 * - `payments.notify`, served unauthenticated by `api` at `POST /webhooks/midtrans`:
 *   signature checked (401 BAD_SIGNATURE), unknown order → 404, amount must
 *   match, status mapped and recorded through billing (once per transaction and
 *   status; the first paid one marks the invoice paid and applies its tier).
 */
import type { Context, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import { Errors } from 'moleculer';
import { config } from '../../config';
import { UnavailableError } from '../../lib/errors';
import { maybeOne } from '../../lib/storage/db';
import { createDbMixin, DbThis } from '../../mixins/db.mixin';
import { tenantOf } from '../../mixins/tenant';
import type { ApiMeta } from '../../types/meta';
import type { Invoice } from '../billing/store';
import { createSnapTransaction, mapStatus, MidtransError, MidtransNotification, parseGrossAmount, verifyNotification } from './midtrans';

type Ctx<P = Record<string, never>> = Context<P, ApiMeta>;
type TxRow = { order_id: string; tenant_id: string; invoice_id: string; gross_amount: number; snap_token: string; redirect_url: string; status: string };

const PaymentsService: ServiceSchema<ServiceSettingSchema, object, DbThis> = {
  name: 'payments',
  mixins: [createDbMixin()],
  settings: { rest: '/' },
  actions: {
    checkout: {
      rest: 'POST /payments',
      params: { invoiceId: { type: 'string', min: 1, max: 64 } },
      async handler(ctx: Ctx<{ invoiceId: string }>) {
        const tenantId = tenantOf(ctx);
        const cfg = config();
        if (!cfg.midtransServerKey) throw new UnavailableError('midtrans', 'payments are not configured (MIDTRANS_SERVER_KEY is unset)');
        const inv = await ctx.call<Invoice, object>('billing.find', { tenantId, id: ctx.params.invoiceId });
        if (inv.status !== 'open') throw new Errors.MoleculerClientError(`Invoice ${inv.number} is ${inv.status}`, 409, 'INVOICE_NOT_OPEN', { status: inv.status });
        if (inv.currency !== 'IDR') throw new Errors.MoleculerClientError('Midtrans takes IDR invoices only', 422, 'CURRENCY_NOT_SUPPORTED', { currency: inv.currency });
        const open = await maybeOne<TxRow>(this.db, "SELECT * FROM payment_transactions WHERE tenant_id = $1 AND invoice_id = $2 AND status = 'pending' ORDER BY created_at DESC LIMIT 1", [tenantId, inv.id]);
        if (open) return { orderId: open.order_id, token: open.snap_token, redirectUrl: open.redirect_url, grossAmount: Number(open.gross_amount), invoiceId: inv.id };
        const [{ n }] = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_transactions WHERE tenant_id = $1 AND invoice_id = $2', [tenantId, inv.id]);
        const orderId = n === 0 ? inv.number : `${inv.number}-${n + 1}`;
        let snap;
        try {
          snap = await createSnapTransaction(cfg.midtransBaseUrl, cfg.midtransServerKey, {
            transaction_details: { order_id: orderId, gross_amount: inv.total },
            customer_details: { first_name: tenantId },
            item_details: [{ id: inv.number, price: inv.total, quantity: 1, name: `Plan2 invoice ${inv.number}`.slice(0, 50) }],
          });
        } catch (e) {
          if (e instanceof MidtransError) throw new Errors.MoleculerClientError(e.message, 502, 'PAYMENT_PROVIDER_REJECTED', { messages: e.messages });
          throw e;
        }
        await this.db.query('INSERT INTO payment_transactions (order_id, tenant_id, invoice_id, gross_amount, snap_token, redirect_url) VALUES ($1, $2, $3, $4, $5, $6)', [orderId, tenantId, inv.id, inv.total, snap.token, snap.redirect_url]);
        ctx.meta.$statusCode = 201;
        return { orderId, token: snap.token, redirectUrl: snap.redirect_url, grossAmount: inv.total, invoiceId: inv.id };
      },
    },
    /** Midtrans HTTP notification (webhook; no API key — the signature authenticates it). */
    notify: {
      params: {
        order_id: { type: 'string', min: 1, max: 100 },
        status_code: { type: 'string', min: 1, max: 10 },
        gross_amount: { type: 'string', min: 1, max: 30 },
        signature_key: { type: 'string', min: 1, max: 256 },
        transaction_status: { type: 'string', min: 1, max: 50 },
        fraud_status: { type: 'string', optional: true },
        transaction_id: { type: 'string', optional: true },
        $$strict: false,
      },
      async handler(ctx: Ctx<MidtransNotification>) {
        const key = config().midtransServerKey;
        if (!key) throw new UnavailableError('midtrans', 'MIDTRANS_SERVER_KEY is unset');
        const n = ctx.params;
        if (!verifyNotification(n, key)) throw new Errors.MoleculerClientError('Notification signature does not match', 401, 'BAD_SIGNATURE');
        const tx = await maybeOne<TxRow>(this.db, 'SELECT * FROM payment_transactions WHERE order_id = $1', [n.order_id]);
        if (!tx) throw new Errors.MoleculerClientError(`Unknown order ${n.order_id}`, 404, 'NOT_FOUND', { orderId: n.order_id });
        const amount = parseGrossAmount(n.gross_amount);
        if (amount !== Number(tx.gross_amount)) throw new Errors.MoleculerClientError(`gross_amount ${n.gross_amount} does not match the order (${tx.gross_amount})`, 422, 'AMOUNT_MISMATCH');
        const status = mapStatus(n.transaction_status, n.fraud_status);
        // A late pending/failed never undoes a paid transaction.
        await this.db.query("UPDATE payment_transactions SET status = CASE WHEN status = 'paid' THEN status ELSE $3 END, provider_status = $4, updated_at = now() WHERE tenant_id = $1 AND order_id = $2", [tx.tenant_id, tx.order_id, status, n.transaction_status]);
        const r = await ctx.call<{ transitioned: boolean; recorded: boolean }, object>('billing.recordPayment', {
          tenantId: tx.tenant_id, invoiceId: tx.invoice_id, provider: 'midtrans', providerRef: n.transaction_id ?? n.order_id, status, amount, raw: n,
        });
        return { ok: true, status, recorded: r.recorded };
      },
    },
  },
};

export default PaymentsService;
