-- wrk script for scripts/bench/api.sh: POST /auth/login as a random seeded user.
--
--   wrk ... -s scripts/bench/api-login.lua http://127.0.0.1:PORT -- <user count> <password>
--
-- The seed names its users user2 … user<count> (user 1 is the benchmark user "bench") and gives
-- them all the same password, so every request is a successful login with a full key derivation.
-- Spreading logins over many users keeps them from queueing on one users row (last_activity).

local counter = 1

function setup(thread)
    thread:set("thread_number", counter)
    counter = counter + 1
end

function init(args)
    user_count = tonumber(args[1]) or error("api-login.lua: pass the user count after --")
    password = args[2] or error("api-login.lua: pass the password after the user count")
    math.randomseed(os.time() * 1000 + thread_number)
    headers = { ["Content-Type"] = "application/json" }
end

function request()
    local body = string.format('{"username":"user%d","password":"%s"}', math.random(2, user_count), password)
    return wrk.format("POST", "/auth/login", headers, body)
end
