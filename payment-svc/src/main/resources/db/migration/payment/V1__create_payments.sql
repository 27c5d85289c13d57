-- One payment per order, ever: order_id is the idempotency key of Charge.
CREATE TABLE payments (
    payment_id     uuid        PRIMARY KEY,
    order_id       uuid        NOT NULL UNIQUE,
    -- NULL only on the DECLINED record that Refund leaves for an order that was never charged.
    user_id        uuid,
    amount_minor   bigint      NOT NULL CHECK (amount_minor >= 0),
    currency_code  text        NOT NULL,
    state          text        NOT NULL CHECK (state IN ('CAPTURED', 'DECLINED', 'REFUNDED')),
    decline_reason text        NOT NULL DEFAULT '',
    create_time    timestamptz NOT NULL DEFAULT now(),
    update_time    timestamptz NOT NULL DEFAULT now()
);
