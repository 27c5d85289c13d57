-- The shop's customers. Ids are UUIDv7, so ordering by user_id is ordering by creation.
CREATE TABLE users (
    user_id     uuid        PRIMARY KEY,
    name        text        NOT NULL,
    email       text        NOT NULL,
    -- AIP-155 idempotency key of the CreateUser call that made the row, if it sent one.
    request_id  uuid        UNIQUE,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now()
);

-- Emails are unique regardless of case: Alice@Example.com and alice@example.com are one person.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
