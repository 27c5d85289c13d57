-- Orders and their lines. Ids are UUIDv7, so ordering by order_id is ordering by creation.
CREATE TABLE orders (
    order_id       uuid        PRIMARY KEY,
    user_id        uuid        NOT NULL,
    currency_code  text        NOT NULL,
    total_minor    bigint      NOT NULL CHECK (total_minor > 0),
    state          text        NOT NULL
        CHECK (state IN ('PENDING_PAYMENT', 'CONFIRMED', 'PAYMENT_DECLINED', 'CANCELLED')),
    payment_id     uuid,
    failure_reason text        NOT NULL DEFAULT '',
    -- AIP-155 idempotency key of the CreateOrder call, and a SHA-256 of what it asked for, so
    -- that a replay with another payload is told apart from a true retry.
    request_id     uuid        UNIQUE,
    request_hash   bytea       NOT NULL,
    -- A cancelled order whose payment may still hold money, until payment-svc confirms the
    -- refund. The reconciler finishes what a failed Refund call left.
    refund_pending boolean     NOT NULL DEFAULT false,
    create_time    timestamptz NOT NULL DEFAULT now(),
    update_time    timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT refund_pending OR state = 'CANCELLED')
);

CREATE INDEX orders_by_user ON orders (user_id, order_id);

-- The reconciler's backlog: small, so a partial index keeps finding it cheap.
CREATE INDEX orders_unsettled ON orders (update_time)
    WHERE state = 'PENDING_PAYMENT' OR refund_pending;

CREATE TABLE order_items (
    order_id         uuid    NOT NULL REFERENCES orders ON DELETE CASCADE,
    line             int     NOT NULL,
    sku              text    NOT NULL,
    quantity         int     NOT NULL CHECK (quantity >= 1),
    unit_price_minor bigint  NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, line)
);
