-- Midtrans Snap transactions: one row per order_id sent to Midtrans, linked to an invoice.
CREATE TABLE payment_transactions (
  order_id      text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  invoice_id    text NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  gross_amount  bigint NOT NULL,
  snap_token    text NOT NULL,
  redirect_url  text NOT NULL,
  status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'failed')),
  provider_status text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_transactions_invoice ON payment_transactions (tenant_id, invoice_id);
