-- wrk script for scripts/bench/api.sh: POST /chats/{id}/messages, a new text message per request.
--
--   wrk ... -s scripts/bench/api-post-message.lua http://127.0.0.1:PORT -- <chat id> <access token>
--
-- The text differs on every request (thread number and a per-thread counter) and carries no
-- client_msg_id, so each request inserts a row; nothing is answered from the idempotency table.

local counter = 1

function setup(thread)
    thread:set("thread_number", counter)
    counter = counter + 1
end

function init(args)
    local chat_id = args[1] or error("api-post-message.lua: pass the chat id after --")
    local token = args[2] or error("api-post-message.lua: pass the access token after the chat id")
    path = "/chats/" .. chat_id .. "/messages"
    headers = {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/json",
    }
    sent = 0
end

function request()
    sent = sent + 1
    local body = string.format(
        '{"content":"benchmark message %d-%d: the quick brown fox jumps over the lazy dog","type":"text"}',
        thread_number, sent)
    return wrk.format("POST", path, headers, body)
end
