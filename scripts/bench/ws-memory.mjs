// Gateway RSS per idle WebSocket connection, driven by scripts/bench/ws-memory.sh.
//
// Opens SOCKETS sockets to one gateway in batches of BATCH, each (MODE=subscribed) authenticated by
// `?token=` and subscribed to one of CHAT_IDS, then leaves them idle and reads the gateway's RSS
// from /proc once it has settled; then closes them all and reads it again. A warm-up round of
// WARMUP sockets is opened and closed first, so the "before" figure already has the database pool,
// the bus subscription and the code paths of a socket's life paged in.
//
// Env: URL (http://host:port), TOKEN, CHAT_IDS (comma-separated), SOCKETS, BATCH, WARMUP,
//      MODE (subscribed | auth | open: upgraded only, closed by the server's auth timeout after
//      10 s, so measured right away: keep SOCKETS small), PID (the gateway's), TRIM_PROBE=1
//      (trim the baseline, and also measure after calling malloc_trim(0) in the gateway through
//      gdb: the difference is what glibc holds free but has not returned), HOLD_S (seconds to
//      keep the idle sockets open after the reading, for an outside look), LABEL.
// Prints one JSON object.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { performance } from "node:perf_hooks";

const env = (name, fallback) => process.env[name] ?? fallback;
const baseURL = env("URL");
const token = env("TOKEN");
const chats = env("CHAT_IDS").split(",").map(Number);
const total = Number(env("SOCKETS", "10000"));
const batchSize = Number(env("BATCH", "200"));
const warmup = Number(env("WARMUP", "200"));
const mode = env("MODE", "subscribed");
const pid = Number(env("PID"));
const trimProbe = env("TRIM_PROBE", "0") === "1";

if (!["subscribed", "auth", "open"].includes(mode)) throw new Error(`MODE must be subscribed, auth or open, not ${mode}`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// VmRSS, RssAnon and the thread count of the gateway, in KB.
function memory() {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss_kb: field("VmRSS"), anon_kb: field("RssAnon"), threads: field("Threads") };
}

/// Waits until the RSS has moved by less than 256 KB over 2 s (at most maxSeconds), then reads it.
async function settled(maxSeconds = 30) {
  const samples = [];
  const deadline = performance.now() + maxSeconds * 1000;
  while (performance.now() < deadline) {
    samples.push(memory().rss_kb);
    if (samples.length >= 5) {
      const recent = samples.slice(-5);
      if (Math.max(...recent) - Math.min(...recent) < 256) break;
    }
    await sleep(500);
  }
  return memory();
}

function open(index) {
  const chatID = chats[index % chats.length];
  const query = mode === "open" ? "" : "?token=" + encodeURIComponent(token);
  const url = baseURL.replace(/^http/, "ws") + "/ws" + query;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let ready = false;
    const done = () => { ready = true; resolve(ws); };
    ws.onerror = (event) => { if (!ready) reject(new Error(`socket ${index}: ${event.message ?? "error"}`)); };
    ws.onclose = (event) => { if (!ready) reject(new Error(`socket ${index}: closed ${event.code} ${event.reason}`)); else closedEarly++; };
    ws.onopen = () => { if (mode === "open") done(); };
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "auth_ok") {
        if (mode === "auth") done();
        else ws.send(JSON.stringify({ type: "subscribe", chat_id: chatID }));
      } else if (frame.type === "subscribed") done();
      else if (frame.type === "error" && !ready) reject(new Error(`socket ${index}: ${frame.message}`));
    };
  });
}

let closedEarly = 0;

async function openAll(count) {
  const sockets = [];
  for (let start = 0; start < count; start += batchSize) {
    const batch = [];
    for (let i = start; i < Math.min(start + batchSize, count); i++) batch.push(open(i));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

/// Closes every socket and waits for the server's side of each close (or 30 s).
async function closeAll(sockets) {
  await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    const timer = setTimeout(resolve, 30_000);
    ws.onclose = () => { clearTimeout(timer); resolve(); };
    ws.close();
  })));
}

function trim() {
  execFileSync("gdb", ["-p", String(pid), "-batch", "-nx", "-ex", "call (int) malloc_trim(0)"], { stdio: "ignore" });
  return memory();
}

// ---- warm-up
if (warmup > 0) {
  await closeAll(await openAll(Math.min(warmup, total)));
}
// With the trim probe the baseline is trimmed too, so both sides of each difference compare alike.
if (trimProbe) { await settled(); trim(); }
const before = await settled();

// ---- the idle sockets
const started = performance.now();
const sockets = await openAll(total);
const openSeconds = (performance.now() - started) / 1000;
// Sockets that only upgraded are closed by the server's auth timeout: measured right away.
const idle = mode === "open" ? (await sleep(1000), memory()) : await settled();
const idleTrimmed = trimProbe ? trim() : null;
const stillOpen = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
// HOLD_S: time for an outside look at the idle gateway (a heap profiler's snapshot, /proc/PID/smaps).
const holdSeconds = Number(env("HOLD_S", "0"));
if (holdSeconds > 0) {
  console.error(`[client] ${stillOpen} idle sockets open; holding for ${holdSeconds} s`);
  await sleep(holdSeconds * 1000);
}

// ---- after closing them
await closeAll(sockets);
const afterClose = await settled();
const afterCloseTrimmed = trimProbe ? trim() : null;

const perSocket = (kb) => (kb * 1024) / total / 1024;
console.log(JSON.stringify({
  label: env("LABEL", ""), mode, sockets: total, still_open: stillOpen, closed_early: closedEarly,
  open_seconds: openSeconds, sockets_per_second: total / openSeconds,
  before, idle, idle_trimmed: idleTrimmed, after_close: afterClose, after_close_trimmed: afterCloseTrimmed,
  rss_kb_per_socket: perSocket(idle.rss_kb - before.rss_kb),
  anon_kb_per_socket: perSocket(idle.anon_kb - before.anon_kb),
  trimmed_kb_per_socket: idleTrimmed ? perSocket(idleTrimmed.rss_kb - before.rss_kb) : null,
  retained_kb_per_socket_after_close: perSocket(afterClose.rss_kb - before.rss_kb),
  client_rss_mb: process.memoryUsage().rss / 1048576,
}));
process.exit(0);
