-- Sites, keys, visitors, conversations, messages, live events, feedback.
-- Timestamps are TIMESTAMPTZ; JSON is JSONB. Ids are text (UUIDs, or a
-- slug for sites such as `demo`).

CREATE TABLE sites (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    bot_name          TEXT NOT NULL,
    welcome_message   TEXT NOT NULL,
    languages         JSONB NOT NULL,           -- array of BCP 47 tags
    theme_color       TEXT NOT NULL,
    allowed_origins   JSONB NOT NULL,           -- array of origins
    identity_secret   TEXT,
    identity_required BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    site_id    TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    key_hash   TEXT NOT NULL UNIQUE,            -- SHA-256 of the key, hex
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE visitors (
    id               TEXT PRIMARY KEY,
    site_id          TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    external_user_id TEXT,                      -- verified user id, if any
    created_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (site_id, external_user_id)
);

CREATE TABLE visitor_tokens (
    token_hash TEXT PRIMARY KEY,                -- SHA-256 of the token, hex
    visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE conversations (
    id            TEXT PRIMARY KEY,             -- UUIDv7: time-ordered, used as cursor
    site_id       TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id    TEXT REFERENCES visitors (id) ON DELETE SET NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'handoff', 'closed')),
    language      TEXT NOT NULL,
    metadata      JSONB NOT NULL,
    last_seq      BIGINT NOT NULL DEFAULT 0,   -- last message seq handed out
    last_event_id BIGINT NOT NULL DEFAULT 0,   -- last live-event id handed out
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX conversations_site ON conversations (site_id, id);
CREATE INDEX conversations_site_status ON conversations (site_id, status, id);
CREATE INDEX conversations_visitor ON conversations (visitor_id);

CREATE TABLE messages (
    id                TEXT PRIMARY KEY,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq               BIGINT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'agent', 'system')),
    content           TEXT NOT NULL,
    html              TEXT NOT NULL,
    citations         JSONB NOT NULL,           -- array of {title, url}
    incomplete        BOOLEAN NOT NULL DEFAULT FALSE,
    client_message_id TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, seq),
    UNIQUE (conversation_id, client_message_id)
);

CREATE TABLE events (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    id              BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    data            JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (conversation_id, id)
);

CREATE TABLE feedback (
    message_id TEXT PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
