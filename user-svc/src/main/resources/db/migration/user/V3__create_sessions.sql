-- A signed-in session: what the "sid" claim of its access tokens names.
CREATE TABLE sessions (
    session_id    uuid        PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users ON DELETE CASCADE,
    create_time   timestamptz NOT NULL DEFAULT now(),
    -- Set when it ended: signed out, or a spent refresh token was used again.
    revoke_time   timestamptz,
    revoke_reason text
);
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Refresh tokens, stored as the SHA-256 of the 256-bit random value the client holds. A used one
-- is kept (spent_time) until it expires, so that its reuse can be recognised.
CREATE TABLE refresh_tokens (
    token_hash  bytea       PRIMARY KEY,
    session_id  uuid        NOT NULL REFERENCES sessions ON DELETE CASCADE,
    create_time timestamptz NOT NULL DEFAULT now(),
    expire_time timestamptz NOT NULL,
    spent_time  timestamptz
);
CREATE INDEX refresh_tokens_session_id ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_expire_time ON refresh_tokens (expire_time);

-- Failed sign-ins per account (lower-cased email) and per client address, in fixed windows,
-- shared by every replica.
CREATE TABLE sign_in_failures (
    subject      text        PRIMARY KEY,
    failures     integer     NOT NULL,
    window_start timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_window_start ON sign_in_failures (window_start);
