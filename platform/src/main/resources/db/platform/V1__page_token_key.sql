-- The platform's own tables, in every service's database, migrated by Flyway under their own
-- history table (platform_schema_history) so that their versions never meet the service's.

-- The key of the service's page tokens (PageToken: HMAC-SHA256). One per database, so every
-- replica of the service, and the service after a restart, accepts the tokens of the others.
-- Made at the first start. To rotate it, delete the row and restart every replica: tokens
-- handed out before are then INVALID_ARGUMENT, and clients list again from the start.
CREATE TABLE page_token_key (
    id          int         PRIMARY KEY CHECK (id = 1),
    key         bytea       NOT NULL CHECK (length(key) >= 16),
    create_time timestamptz NOT NULL DEFAULT now()
);
