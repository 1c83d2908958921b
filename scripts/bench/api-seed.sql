-- Seed data for scripts/bench/api.sh: a database of realistic size for the JWT API benchmark.
-- Run by api.sh with psql, once, on a freshly migrated database that holds only the benchmark
-- user (registered through POST /auth/register, so its password hash is one the gateway wrote).
--
-- psql variables:
--   bench_id       id of the benchmark user
--   password_hash  that user's users.password_hash, copied to every seeded user
--   users          total users, the benchmark user included (>= 100)
--   messages       total messages (the benchmark user's chats included)
--
-- What it creates:
--   * users user2 … user<users>, one user_settings row each, a quarter with an avatar file (so
--     responses carry presigned URLs, as in production);
--   * the benchmark user's 20 chats: 8 groups and 12 direct chats. Group slot 1 holds 2,000
--     messages (the GET /chats/{id}/messages target); group slot 2 is where POST /chats/{id}/messages
--     writes; the other 18 hold 10–99 messages each. Two are favourites, one is muted;
--   * background chats among the other users (2 direct chats per user and a group per 20 users,
--     6–50 members) holding the remaining messages, skewed so a few chats are busy and most are
--     quiet; this gives the messages table and its indexes their realistic size;
--   * table bench_seed: what was seeded, read back by api.sh (and by KEEP_DB=1 runs).
--
-- Everything is set-based (generate_series, INSERT … SELECT): 1M messages take well under a minute.
-- Message times fall in the current month (UTC), the oldest partition the gateway creates, and ids
-- follow created_at, as they would with live traffic.

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET TIME ZONE 'UTC';
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SET synchronous_commit = off;

BEGIN;

SELECT setseed(0.42);

-- Users ----------------------------------------------------------------------------------------

INSERT INTO users (username, email, password_hash, display_name, bio, created_at)
SELECT 'user' || i,
       'user' || i || '@bench.invalid',
       :'password_hash',
       CASE WHEN i % 5 = 0 THEN NULL ELSE 'User ' || i END,   -- some fall back to the username
       CASE WHEN i % 3 = 0 THEN 'Seeded by scripts/bench/api.sh' END,
       now() - interval '400 days' + i * interval '1 minute'
FROM generate_series(2, :users) AS i;

INSERT INTO user_settings (user_id)
SELECT id FROM users
ON CONFLICT (user_id) DO NOTHING;

INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes, created_at)
SELECT id, 'bh-uploads', 'uploads/' || gen_random_uuid() || '_avatar.jpg', 'avatar.jpg', 'image/jpeg', 24576,
       created_at
FROM users
WHERE id % 4 = 0 AND id <> :bench_id;

UPDATE users u SET avatar_file_id = f.id
FROM files f
WHERE f.uploader_id = u.id AND f.filename = 'avatar.jpg';

-- The other users as one array, so "the k-th other user" is others.ids[k] (wrapping around).
CREATE TEMP TABLE others ON COMMIT DROP AS
SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n
FROM users WHERE id <> :bench_id;

-- Chats: planned first, with ids taken from the chats sequence, so that messages, members and
-- the chats' own timestamps can all be derived from the plan --------------------------------------

CREATE TEMP TABLE plan_chats (
    chat_id    bigint PRIMARY KEY DEFAULT nextval('chats_id_seq'),
    is_bench   boolean NOT NULL,          -- one of the benchmark user's 20 chats
    slot       int NOT NULL,              -- bench: 1..20; background: shuffled 1..B
    type       chat_type NOT NULL,
    members    bigint[] NOT NULL,         -- members[1] is the owner
    bench_role text,                      -- the benchmark user's role when not the owner
    n_messages int NOT NULL DEFAULT 0
) ON COMMIT DROP;

-- The benchmark user's groups (slots 1–8): slot 1 has 2,000 messages and the user as a plain
-- member; slot 2 is owned by the user; the rest cycle through owner / admin / member.
INSERT INTO plan_chats (is_bench, slot, type, members, bench_role, n_messages)
SELECT true, g.slot, 'group',
       CASE WHEN g.bench_owns
            THEN ARRAY[:bench_id::bigint] || picked.ids
            ELSE picked.ids[1:1] || ARRAY[:bench_id::bigint] || picked.ids[2:] END,
       CASE WHEN NOT g.bench_owns THEN g.bench_role END,
       g.n_messages
FROM (VALUES
        (1, 30, false, 'member', 2000),
        (2, 10, true,  NULL,     50),
        (3,  4, false, 'admin',  80),
        (4, 11, true,  NULL,     35),
        (5, 24, false, 'member', 60),
        (6, 49, false, 'member', 99),
        (7,  7, true,  NULL,     12),
        (8, 39, false, 'admin',  45)
     ) AS g(slot, other_members, bench_owns, bench_role, n_messages)
CROSS JOIN LATERAL (
    SELECT array_agg(o.ids[(k % o.n) + 1] ORDER BY k) AS ids
    FROM others o, generate_series(g.slot * 60, g.slot * 60 + g.other_members - 1) AS k
) AS picked;

-- The benchmark user's direct chats (slots 9–20), half of them started by the other side.
INSERT INTO plan_chats (is_bench, slot, type, members, n_messages)
SELECT true, s, 'direct',
       CASE WHEN s % 2 = 0 THEN ARRAY[:bench_id::bigint, peer] ELSE ARRAY[peer, :bench_id::bigint] END,
       10 + (s * 37) % 90
FROM generate_series(9, 20) AS s
CROSS JOIN LATERAL (SELECT o.ids[((1000 + s) % o.n) + 1] AS peer FROM others o) AS p;

-- Background chats among the other users: a direct chat with the next user and with the user
-- seven further on (distinct pairs as long as there are more than 14 users), and groups of
-- 6–50 consecutive users.
INSERT INTO plan_chats (is_bench, slot, type, members)
SELECT false, row_number() OVER (ORDER BY random()), type, members
FROM (
    SELECT 'direct'::chat_type AS type,
           ARRAY[o.ids[i], o.ids[((i - 1 + d) % o.n) + 1]] AS members
    FROM others o, generate_series(1, o.n) AS i, (VALUES (1), (7)) AS step(d)
    UNION ALL
    SELECT 'group',
           (SELECT array_agg(o.ids[((g * 20 + j) % o.n) + 1] ORDER BY j)
            FROM generate_series(0, 5 + (g * 7) % 45) AS j)
    FROM others o, generate_series(1, greatest(1, o.n / 20)) AS g
) AS background;

-- Spread the remaining messages over the background chats with a square-root profile: chat k of
-- B gets R·(√(k/B) − √((k−1)/B)), so the busiest chats hold thousands and most hold a few dozen.
-- Rounding leftovers go to the busiest chat.
WITH totals AS (
    SELECT (SELECT count(*) FROM plan_chats WHERE NOT is_bench) AS b,
           greatest(:messages - (SELECT sum(n_messages) FROM plan_chats WHERE is_bench), 0) AS r
)
UPDATE plan_chats c
SET n_messages = floor(t.r * (sqrt(c.slot::float8 / t.b) - sqrt((c.slot - 1)::float8 / t.b)))
FROM totals t
WHERE NOT c.is_bench;

UPDATE plan_chats
SET n_messages = n_messages + greatest(:messages - (SELECT sum(n_messages) FROM plan_chats), 0)
WHERE NOT is_bench AND slot = 1;

-- Messages: a random member sends each one at a random moment of the current month so far ----------

CREATE TEMP TABLE plan_messages ON COMMIT DROP AS
SELECT c.chat_id,
       c.members[1 + floor(random() * cardinality(c.members))::int] AS sender_id,
       -- 12–161 characters of prose, cut from a different place each time
       substr(t.text, 1 + (k * 13) % 300, 12 + (k * 31) % 150) AS content,
       t.month_start + random() * greatest(now() - t.month_start - interval '1 minute', interval '0') AS created_at
FROM plan_chats c
CROSS JOIN LATERAL generate_series(1, c.n_messages) AS k
CROSS JOIN (
    SELECT date_trunc('month', now()) AS month_start,
           repeat('Sure, let us meet after lunch and go through the release notes together. '
               || 'I pushed the fix for the login screen, could you take a look when you have a minute? '
               || 'The build is green again; the flaky test was waiting on the wrong port. '
               || 'Thanks! See you tomorrow at the standup. ', 2) AS text
) AS t;

INSERT INTO chats (id, type, name, title, description, owner_id, direct_key, created_at, updated_at)
SELECT c.chat_id, c.type,
       CASE WHEN c.type = 'group' THEN
           CASE WHEN c.is_bench THEN 'Bench group ' || c.slot ELSE 'Group ' || c.slot END END,
       CASE WHEN c.type = 'group' THEN
           CASE WHEN c.is_bench THEN 'Bench group ' || c.slot ELSE 'Group ' || c.slot END END,
       CASE WHEN c.type = 'group' AND c.slot % 2 = 0 THEN 'A seeded group chat' END,
       c.members[1],
       CASE WHEN c.type = 'direct'
            THEN least(c.members[1], c.members[2]) || ':' || greatest(c.members[1], c.members[2]) END,
       created.at,
       coalesce(activity.last_at, created.at)
FROM plan_chats c
LEFT JOIN (SELECT chat_id, max(created_at) AS last_at FROM plan_messages GROUP BY chat_id) AS activity
       ON activity.chat_id = c.chat_id
CROSS JOIN LATERAL (
    SELECT date_trunc('month', now()) - (1 + c.slot % 200) * interval '1 day' AS at
) AS created;

INSERT INTO chat_members (chat_id, user_id, joined_at, role)
SELECT c.chat_id, m.user_id, ch.created_at + m.ord * interval '1 second',
       CASE WHEN m.ord = 1 THEN 'owner'
            WHEN m.user_id = :bench_id AND c.bench_role IS NOT NULL THEN c.bench_role
            ELSE 'member' END
FROM plan_chats c
JOIN chats ch ON ch.id = c.chat_id
CROSS JOIN LATERAL unnest(c.members) WITH ORDINALITY AS m(user_id, ord);

-- Sorted by time so that ids grow with created_at, as with live traffic.
INSERT INTO messages (chat_id, sender_id, content, message_type, created_at)
SELECT chat_id, sender_id, content, 'text', created_at
FROM plan_messages
ORDER BY created_at;

-- Each chat's newest message on its row, as the gateway's send statement keeps it (migration V7);
-- the trigger stays off so updated_at keeps the seeded activity times.
ALTER TABLE chats DISABLE TRIGGER chats_set_updated_at;
UPDATE chats c
SET last_message_id = m.id, last_message_type = m.message_type, last_message_content = m.content,
    last_message_at = m.created_at
FROM (SELECT DISTINCT ON (chat_id) chat_id, id, message_type, content, created_at
      FROM messages ORDER BY chat_id, id DESC) m
WHERE m.chat_id = c.id;
ALTER TABLE chats ENABLE TRIGGER chats_set_updated_at;

-- Per-user chat state that GET /chats joins: two favourites, one muted chat.
INSERT INTO chat_favorites (user_id, chat_id)
SELECT :bench_id, chat_id FROM plan_chats WHERE is_bench AND slot IN (3, 9);

INSERT INTO chat_mute_settings (user_id, chat_id, muted_until)
SELECT :bench_id, chat_id, NULL FROM plan_chats WHERE is_bench AND slot = 10;

-- What api.sh needs to know, also on later KEEP_DB=1 runs.
CREATE TABLE bench_seed (
    users         int NOT NULL,
    messages      bigint NOT NULL,
    bench_user_id bigint NOT NULL,
    read_chat_id  bigint NOT NULL,   -- 2,000 messages: GET /chats/{id}/messages
    post_chat_id  bigint NOT NULL,   -- POST /chats/{id}/messages
    seeded_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO bench_seed (users, messages, bench_user_id, read_chat_id, post_chat_id)
SELECT (SELECT count(*) FROM users),
       (SELECT count(*) FROM messages),
       :bench_id,
       (SELECT chat_id FROM plan_chats WHERE is_bench AND slot = 1),
       (SELECT chat_id FROM plan_chats WHERE is_bench AND slot = 2);

COMMIT;

-- Fresh statistics and visibility maps, as on a database that has been running for a while.
VACUUM (ANALYZE) users, user_settings, files, chats, chat_members, chat_favorites, chat_mute_settings, messages;
