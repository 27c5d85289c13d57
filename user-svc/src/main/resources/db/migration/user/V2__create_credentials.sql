-- Sign-in credentials: one Argon2id hash per user (PHC string: $argon2id$v=19$m=19456,t=2,p=1$...).
-- Users created before sign-up took a password have no row here and cannot sign in
-- (README: "Users from before sign-in").
CREATE TABLE credentials (
    user_id       uuid        PRIMARY KEY REFERENCES users ON DELETE CASCADE,
    password_hash text        NOT NULL,
    update_time   timestamptz NOT NULL DEFAULT now()
);
