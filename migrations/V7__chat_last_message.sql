-- The newest message of each chat, kept on the chat row by the send statement
-- (MessageInsertStatement), so the chat lists read it from the row instead of probing the
-- (chat_id, id) index of every monthly partition per chat (a Merge Append whose cost grows with
-- the number of months). NULL last_message_id means "not known here": rows written by anything
-- but the send statement (the migrator's COPY, seeders, tests) leave it NULL, and the chat lists
-- then fall back to the index. A value, when present, is always the chat's highest message id:
-- the send statement only ever moves it forward.
ALTER TABLE chats
    ADD COLUMN last_message_id      bigint,
    ADD COLUMN last_message_type    text,
    ADD COLUMN last_message_content text,
    ADD COLUMN last_message_at      timestamptz;

-- Filling the columns in is not activity: updated_at (which orders the chat lists) stays.
ALTER TABLE chats DISABLE TRIGGER chats_set_updated_at;
UPDATE chats c
SET last_message_id = m.id, last_message_type = m.message_type, last_message_content = m.content,
    last_message_at = m.created_at
FROM (SELECT DISTINCT ON (chat_id) chat_id, id, message_type, content, created_at
      FROM messages ORDER BY chat_id, id DESC) m
WHERE m.chat_id = c.id;
ALTER TABLE chats ENABLE TRIGGER chats_set_updated_at;
