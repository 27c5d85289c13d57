-- What each customer was told: one row per order event, deduplicated by event_id, so an event
-- the broker delivers twice (or the consumer processes again after a crash) changes nothing.
CREATE TABLE notifications (
    notification_id uuid        PRIMARY KEY,  -- UUIDv7: ordering by it is ordering by arrival
    event_id        uuid        NOT NULL UNIQUE,
    user_id         uuid        NOT NULL,
    order_id        uuid        NOT NULL,
    sequence        bigint      NOT NULL CHECK (sequence > 0),
    kind            text        NOT NULL
        CHECK (kind IN ('ORDER_CONFIRMED', 'ORDER_DECLINED', 'ORDER_CANCELLED', 'ORDER_REFUNDED')),
    message         text        NOT NULL,
    occur_time      timestamptz NOT NULL,
    create_time     timestamptz NOT NULL DEFAULT now()
);

-- ListNotifications: one user's, newest first.
CREATE INDEX notifications_by_user ON notifications (user_id, notification_id DESC);

-- Records that could not be read as an OrderEvent ("poison"), kept with where they were in the
-- topic, so that the consumer can go on and someone can look at them later.
CREATE TABLE parked_events (
    topic       text        NOT NULL,
    partition   int         NOT NULL,
    "offset"    bigint      NOT NULL,
    record_key  text,
    payload     bytea,
    error       text        NOT NULL,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, "offset")
);
