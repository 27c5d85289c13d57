-- The relay sends only the first unsent event of each order (OutboxStore.UNSENT); this index
-- answers "is there an earlier unsent event of this order?" without scanning the backlog.
CREATE INDEX order_outbox_unsent_per_order ON order_outbox (order_id, id) WHERE sent_at IS NULL;
