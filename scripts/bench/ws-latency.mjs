// Send→deliver latency of WebSocket message events, driven by scripts/bench/ws-latency.sh.
//
// One sender (alice) posts messages over HTTP to node A at RATE messages/s, round-robin over
// CHATS group chats; SUBSCRIBERS sockets of one receiver (bob, a member of every chat) are spread
// over the chats and, when B_URL differs from A_URL, split between node A and node B. Each message
// carries its send time (this process's monotonic clock), so latency = arrival − send start: the
// HTTP request, the insert, the publish, the bus (Redis or in-process) and the socket write.
// Prints one JSON object with percentiles per node and delivered/expected.
//
// Env: A_URL, B_URL, ALICE_TOKEN, BOB_TOKEN, CHAT_IDS (comma-separated), SUBSCRIBERS, RATE,
//      DURATION_S, IN_FLIGHT (concurrent POSTs), PIDS (gateway pids "A,B" for RSS), LABEL.
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";

const env = (name, fallback) => process.env[name] ?? fallback;
const aURL = env("A_URL");
const bURL = env("B_URL", aURL);
const chats = env("CHAT_IDS").split(",").map(Number);
const subscribers = Number(env("SUBSCRIBERS", "200"));
const rate = Number(env("RATE", "100"));
const durationS = Number(env("DURATION_S", "20"));
const inFlightLimit = Number(env("IN_FLIGHT", "32"));
const pids = env("PIDS", "").split(",").filter(Boolean).map(Number);
const nodes = aURL === bURL ? [aURL] : [aURL, bURL];

const rssKB = (pid) => {
  const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : 0;
};

// ---- sockets
const sockets = [];
const latencies = nodes.map(() => []);
let received = 0;
let duplicates = 0;

function open(index) {
  const node = index % nodes.length;
  const chatID = chats[Math.floor(index / nodes.length) % chats.length];
  const url = nodes[node].replace(/^http/, "ws") + "/ws?token=" + env("BOB_TOKEN");
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const seen = new Set();
    const socket = { ws, node, chatID, seen };
    ws.onerror = (event) => reject(new Error(`socket ${index}: ${event.message ?? "error"}`));
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "auth_ok") ws.send(JSON.stringify({ type: "subscribe", chat_id: chatID }));
      else if (frame.type === "subscribed") resolve(socket);
      else if (frame.type === "error") reject(new Error(`socket ${index}: ${frame.message}`));
      else if (frame.type === "message") {
        const now = performance.now();
        if (seen.has(frame.id)) { duplicates++; return; }
        seen.add(frame.id);
        const sentAt = Number(JSON.parse(frame.content).t);
        latencies[node].push(now - sentAt);
        received++;
      }
    };
  });
}

const rssBefore = pids.map(rssKB);
for (let start = 0; start < subscribers; start += 100) {
  const batch = [];
  for (let i = start; i < Math.min(start + 100, subscribers); i++) batch.push(open(i));
  sockets.push(...(await Promise.all(batch)));
}
await new Promise((r) => setTimeout(r, 1000));
const rssIdle = pids.map(rssKB);

// ---- sending
const perChat = new Map();
for (const s of sockets) perChat.set(s.chatID, (perChat.get(s.chatID) ?? 0) + 1);
let expected = 0;
let launched = 0;
let sent = 0;
let failed = 0;
let inFlight = 0;
const total = Math.round(rate * durationS);
const started = performance.now();
while (launched < total) {
  const due = started + (launched * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  while (inFlight >= inFlightLimit) await new Promise((r) => setTimeout(r, 1));
  const chatID = chats[launched % chats.length];
  const t = performance.now();
  launched++;
  inFlight++;
  const counted = (ok) => { inFlight--; if (ok) { sent++; expected += perChat.get(chatID) ?? 0; } else failed++; };
  fetch(`${aURL}/chats/${chatID}/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${env("ALICE_TOKEN")}` },
    body: JSON.stringify({ content: JSON.stringify({ t }) }),
  }).then((r) => { counted(r.status === 201); return r.arrayBuffer(); }, () => counted(false));
}
const sendSeconds = (performance.now() - started) / 1000;
while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
// Drain: wait until nothing new arrives for 2 s (or everything did).
let last = -1;
while (received < expected && received !== last) {
  last = received;
  await new Promise((r) => setTimeout(r, 2000));
}

const percentile = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null;
const summary = (values) => {
  const sorted = Float64Array.from(values).sort();
  return {
    count: sorted.length,
    p50_ms: percentile(sorted, 50), p90_ms: percentile(sorted, 90), p99_ms: percentile(sorted, 99),
    max_ms: sorted.length ? sorted[sorted.length - 1] : null,
  };
};
console.log(JSON.stringify({
  label: env("LABEL", ""),
  nodes: nodes.length, subscribers: sockets.length, chats: chats.length,
  messages_sent: sent, send_failures: failed, achieved_rate: sent / sendSeconds,
  delivered: received, expected, duplicates,
  per_node: nodes.map((_, i) => summary(latencies[i])),
  all: summary(latencies.flat()),
  idle_rss_kb_per_socket: pids.map((_, i) => (rssIdle[i] - rssBefore[i]) / (sockets.length / nodes.length)),
}));
for (const s of sockets) s.ws.close();
process.exit(0);
