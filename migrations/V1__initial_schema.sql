-- The complete schema shared by both API generations (jwt-api.md §7 with the §7.15 additions and
-- §11 fixes, legacy-api.md §8/§10 needs, and the migrator's bookkeeping).
-- Schema migrations create no rows: migrated legacy data keeps ids 1..n, and seeds would collide.

CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- Legacy SQLite compares usernames with COLLATE NOCASE: only ASCII A-Z fold. citext (and lower())
-- would also fold non-ASCII letters and make distinct legacy names collide, so usernames are
-- plain text with a unique index on this function instead.
CREATE FUNCTION ascii_casefold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT translate(value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$;

CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at = now(); RETURN NEW; END $$;

CREATE TYPE chat_type AS ENUM ('direct', 'group', 'channel');

-- users ---------------------------------------------------------------------------------------
CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       text NOT NULL CHECK (username <> ''),
    -- Legacy accounts have no e-mail address; the JWT API requires one for new registrations.
    email          text,
    password_hash  text NOT NULL,
    display_name   text,
    bio            text,
    avatar_file_id bigint,
    is_active      boolean NOT NULL DEFAULT true,
    is_admin       boolean NOT NULL DEFAULT false,
    is_blocked     boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    last_activity  timestamptz
);
CREATE UNIQUE INDEX users_username_key ON users (ascii_casefold(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;
CREATE INDEX users_is_admin_idx ON users (is_admin) WHERE is_admin;
CREATE INDEX users_last_activity_idx ON users (last_activity) WHERE last_activity IS NOT NULL;
CREATE INDEX users_created_at_idx ON users (created_at);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- files ---------------------------------------------------------------------------------------
CREATE TABLE files (
    id          bigserial PRIMARY KEY,
    uploader_id bigint NOT NULL REFERENCES users (id),
    bucket      text NOT NULL,
    object_key  text NOT NULL,
    filename    text NOT NULL,
    mime_type   text,
    size_bytes  bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bucket, object_key)
);
CREATE INDEX files_uploader_id_idx ON files (uploader_id);

ALTER TABLE users ADD CONSTRAINT users_avatar_file_id_fkey
    FOREIGN KEY (avatar_file_id) REFERENCES files (id) ON DELETE SET NULL;

-- chats ---------------------------------------------------------------------------------------
CREATE TABLE chats (
    id          bigserial PRIMARY KEY,
    type        chat_type NOT NULL DEFAULT 'direct',
    name        text,
    owner_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    title       text,
    description text,
    public_name citext UNIQUE,
    -- "<lower user id>:<higher user id>" for direct chats: one direct chat per pair (D-19).
    direct_key  text UNIQUE,
    CHECK ((type = 'direct') = (direct_key IS NOT NULL)),
    CHECK (type <> 'direct' OR public_name IS NULL)
);
CREATE INDEX chats_owner_id_idx ON chats (owner_id);
CREATE TRIGGER chats_set_updated_at BEFORE UPDATE ON chats FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE chat_members (
    chat_id   bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now(),
    role      text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user_id_idx ON chat_members (user_id);

-- stickers ------------------------------------------------------------------------------------
CREATE TABLE sticker_packs (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stickers (
    id      bigserial PRIMARY KEY,
    pack_id bigint NOT NULL REFERENCES sticker_packs (id) ON DELETE CASCADE,
    label   text NOT NULL,
    file_id bigint NOT NULL REFERENCES files (id) ON DELETE CASCADE
);
CREATE INDEX stickers_pack_id_idx ON stickers (pack_id);

-- messages: range-partitioned by month. There is deliberately no DEFAULT partition: the gateway
-- (and the migrator, for historical months) creates monthly partitions ahead of time with
-- ensure_message_partitions(), so no row is ever stranded in a catch-all partition (D-34).
CREATE TABLE messages (
    id               bigserial,
    chat_id          bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    sender_id        bigint NOT NULL REFERENCES users (id),
    content          text,
    message_type     text NOT NULL DEFAULT 'text' CHECK (message_type IN ('text', 'file', 'voice', 'sticker')),
    file_id          bigint REFERENCES files (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sticker_id       bigint REFERENCES stickers (id) ON DELETE SET NULL,
    duration_seconds integer CHECK (duration_seconds IS NULL OR duration_seconds BETWEEN 0 AND 86400),
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX messages_chat_id_id_idx ON messages (chat_id, id);
CREATE INDEX messages_chat_id_created_at_idx ON messages (chat_id, created_at DESC);
CREATE INDEX messages_sender_id_idx ON messages (sender_id);
CREATE INDEX messages_sticker_id_idx ON messages (sticker_id) WHERE sticker_id IS NOT NULL;
CREATE INDEX messages_file_id_idx ON messages (file_id) WHERE file_id IS NOT NULL;

-- Creates the monthly partitions covering [first_month, first_month + month_count months).
-- Idempotent, and safe when several gateways run it at once (the lock serialises them).
CREATE FUNCTION ensure_message_partitions(first_month date, month_count integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
DECLARE
    month_start date := date_trunc('month', first_month)::date;
    created integer := 0;
    partition_name text;
BEGIN
    PERFORM pg_advisory_xact_lock(7235478011);
    FOR i IN 1..month_count LOOP
        partition_name := format('messages_%s', to_char(month_start, 'YYYY_MM'));
        IF to_regclass(partition_name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF messages FOR VALUES FROM (%L) TO (%L)',
                partition_name, month_start::timestamp AT TIME ZONE 'UTC',
                (month_start + interval '1 month') AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
        month_start := (month_start + interval '1 month')::date;
    END LOOP;
    RETURN created;
END
$$;

CREATE TABLE message_read_receipts (
    message_id bigint NOT NULL,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    read_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_read_receipts_user_id_idx ON message_read_receipts (user_id);

-- Idempotent sends (D-17): a unique index cannot live on the partitioned table.
CREATE TABLE message_idempotency (
    sender_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_msg_id      text NOT NULL CHECK (length(client_msg_id) BETWEEN 1 AND 64),
    message_id         bigint NOT NULL,
    message_created_at timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sender_id, client_msg_id)
);
CREATE INDEX message_idempotency_created_at_idx ON message_idempotency (created_at);

-- tokens and sessions -------------------------------------------------------------------------
-- Refresh tokens are stored as keyed hashes and rotated within a family (jwt-api.md §4.4).
CREATE TABLE refresh_tokens (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  text NOT NULL UNIQUE,
    jti         text,
    family_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked     boolean NOT NULL DEFAULT false,
    revoked_at  timestamptz,
    replaced_by bigint REFERENCES refresh_tokens (id) ON DELETE SET NULL
);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at) WHERE NOT revoked;

-- Server-side records behind legacy session cookies: the cookie keeps api_legacy's format (so a
-- rollback keeps users logged in) but carries one of these ids, so logout, password change and
-- blocking revoke it for real.
CREATE TABLE legacy_sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    revoke_reason text
);
CREATE INDEX legacy_sessions_user_id_idx ON legacy_sessions (user_id) WHERE revoked_at IS NULL;

-- Cookies issued before the switch carry no session id. They stay valid until this instant
-- (per user), which logout and password changes move forward.
CREATE TABLE legacy_session_cutoffs (
    user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    not_before    timestamptz NOT NULL
);

-- per-user state ------------------------------------------------------------------------------
CREATE TABLE user_settings (
    user_id               bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    theme                 text NOT NULL DEFAULT 'light',
    notifications_enabled boolean NOT NULL DEFAULT true,
    language              text NOT NULL DEFAULT 'en'
);

CREATE TABLE invites (
    id         bigserial PRIMARY KEY,
    chat_id    bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    token      text NOT NULL UNIQUE DEFAULT gen_random_uuid()::text,
    created_by bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX invites_chat_id_idx ON invites (chat_id);
CREATE INDEX invites_active_idx ON invites (chat_id, token) WHERE revoked_at IS NULL;

CREATE TABLE chat_favorites (
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_id    bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, chat_id)
);

CREATE TABLE chat_mute_settings (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_id     bigint NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    muted_until timestamptz,
    PRIMARY KEY (user_id, chat_id)
);

-- migrator bookkeeping ------------------------------------------------------------------------
-- Where each table's copy stands, so a killed run resumes and a re-run copies only the delta.
CREATE TABLE migrator_checkpoints (
    source_table   text PRIMARY KEY,
    last_source_id bigint NOT NULL DEFAULT 0,
    rows_copied    bigint NOT NULL DEFAULT 0,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- A digest of each copied mutable source row (users, settings, conversations, stickers): a re-run
-- compares digests to find rows changed since the last run.
CREATE TABLE migrator_row_digests (
    source_table text NOT NULL,
    source_id    bigint NOT NULL,
    digest       bytea NOT NULL,
    PRIMARY KEY (source_table, source_id)
);

CREATE TABLE migrator_runs (
    id          bigserial PRIMARY KEY,
    source_path text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    outcome     text,
    report      jsonb
);
