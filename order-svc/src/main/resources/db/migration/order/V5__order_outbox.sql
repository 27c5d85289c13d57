-- The transactional outbox (docs/EVENTS.md): every order state change inserts its event here in
-- the same statement, so the event exists exactly when the change committed. The relay
-- publishes unsent rows to Kafka and marks them sent; sent rows are purged after a retention.

-- Per-order event counter: the UPDATE that changes the order bumps it under the row lock, so
-- one order's events are numbered 1, 2, 3... in commit order.
ALTER TABLE orders ADD COLUMN event_sequence bigint NOT NULL DEFAULT 0;

CREATE TABLE order_outbox (
    -- A handle for marking rows sent, NOT commit order: a row with a smaller id can commit
    -- after one with a larger id, so the relay always selects unsent rows, never "id > last".
    id             bigserial   PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    order_id       uuid        NOT NULL,
    user_id        uuid        NOT NULL,
    sequence       bigint      NOT NULL CHECK (sequence > 0),
    type           text        NOT NULL
        CHECK (type IN ('ORDER_CONFIRMED', 'ORDER_DECLINED', 'ORDER_CANCELLED', 'ORDER_REFUNDED')),
    order_state    text        NOT NULL,
    total_minor    bigint      NOT NULL,
    currency_code  text        NOT NULL,
    failure_reason text        NOT NULL DEFAULT '',
    traceparent    text        NOT NULL DEFAULT '',
    tracestate     text        NOT NULL DEFAULT '',
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    UNIQUE (order_id, sequence)
);

-- The relay's work list (small) and the purge's.
CREATE INDEX order_outbox_unsent ON order_outbox (id) WHERE sent_at IS NULL;
CREATE INDEX order_outbox_sent ON order_outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Wakes the relay when a transaction with events commits (NOTIFY is delivered at commit, and
-- several in one transaction are delivered once). The relay also polls, in case one is missed.
CREATE FUNCTION order_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('order_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER order_outbox_notify AFTER INSERT ON order_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION order_outbox_notify();
