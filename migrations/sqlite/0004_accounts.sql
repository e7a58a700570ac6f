-- People: users, their role per site, one-time sign-in links, invites,
-- cookie sessions; labels and last use for admin keys.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,                -- as typed, for display
    email_key     TEXT NOT NULL UNIQUE,         -- lower-cased: unique case-insensitively
    name          TEXT NOT NULL,
    password_hash TEXT,                         -- Argon2id PHC string; NULL until set
    session_epoch INTEGER NOT NULL DEFAULT 0,   -- bumped by "sign out everywhere"
    created_at    TEXT NOT NULL
);

CREATE TABLE memberships (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'agent')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, site_id)
);
CREATE INDEX memberships_site ON memberships (site_id);

CREATE TABLE sign_in_links (
    token_hash TEXT PRIMARY KEY,                -- SHA-256 of the token, hex
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE invites (
    token_hash  TEXT PRIMARY KEY,               -- SHA-256 of the token, hex
    site_id     TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'agent')),
    expires_at  TEXT NOT NULL,
    accepted_at TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,                -- SHA-256 of the cookie's id, hex
    data       TEXT NOT NULL,                   -- JSON
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

ALTER TABLE api_keys ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
