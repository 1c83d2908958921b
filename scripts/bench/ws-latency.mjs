// Send→deliver latency of WebSocket message events, driven by scripts/bench/ws-latency.sh.
//
// One sender (alice) posts messages over HTTP to node A at RATE messages/s, round-robin over
// CHATS group chats; SUBSCRIBERS sockets of one receiver (bob, a member of every chat) are spread
// over the chats and, when B_URL differs from A_URL, split between node A and node B. Each message
// carries its send time, so latency = arrival − send start: the HTTP request, the insert, the
// publish, the bus (Redis or in-process) and the socket write.
//
// The sender and the receivers of each node run in separate processes (this file, with ROLE set),
// so parsing thousands of arriving frames never delays a send, and one process's garbage
// collection pauses only its own work. They share CLOCK_MONOTONIC (process.hrtime), which is the
// same clock in every process of the machine. Without ROLE this process coordinates them and
// prints one JSON object with percentiles per node and delivered/expected.
//
// Env: A_URL, B_URL, ALICE_TOKEN, BOB_TOKEN, CHAT_IDS (comma-separated), SUBSCRIBERS, RATE,
//      WARMUP_S, DURATION_S, IN_FLIGHT (concurrent POSTs), PIDS (gateway pids "A,B" for RSS), LABEL.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const env = (name, fallback) => process.env[name] ?? fallback;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const aURL = env("A_URL");
const bURL = env("B_URL", aURL);
const chats = env("CHAT_IDS").split(",").map(Number);
const subscribers = Number(env("SUBSCRIBERS", "200"));
const nodes = aURL === bURL ? [aURL] : [aURL, bURL];
// Socket i sits on node i % nodes.length and follows chat ⌊i / nodes.length⌋ % chats.length.
const socketChat = (index) => chats[Math.floor(index / nodes.length) % chats.length];

switch (env("ROLE", "")) {
  case "receiver": await receive(Number(env("NODE_INDEX"))); break;
  case "sender": await send(); break;
  default: await coordinate();
}

// ---- receiver: the sockets of one node. Prints "ready", then on "stop <expected>" on stdin waits
// until that many messages arrived (or nothing new for 2 s) and prints its JSON result.
async function receive(node) {
  const latencies = [];
  let received = 0;
  let duplicates = 0;
  const open = (index) => new Promise((resolve, reject) => {
    const chatID = socketChat(index);
    const ws = new WebSocket(nodes[node].replace(/^http/, "ws") + "/ws?token=" + env("BOB_TOKEN"));
    const seen = new Set();
    ws.onerror = (event) => reject(new Error(`socket ${index}: ${event.message ?? "error"}`));
    ws.onmessage = (event) => {
      const arrived = nowMs();
      const frame = JSON.parse(event.data);
      if (frame.type === "auth_ok") ws.send(JSON.stringify({ type: "subscribe", chat_id: chatID }));
      else if (frame.type === "subscribed") resolve(ws);
      else if (frame.type === "error") reject(new Error(`socket ${index}: ${frame.message}`));
      else if (frame.type === "message") {
        if (seen.has(frame.id)) { duplicates++; return; }
        seen.add(frame.id);
        const sent = JSON.parse(frame.content);
        if (!sent.warmup) latencies.push(arrived - Number(sent.t));
        received++;
      }
    };
  });
  const mine = [];
  for (let i = node; i < subscribers; i += nodes.length) mine.push(i);
  const sockets = [];
  for (let start = 0; start < mine.length; start += 100) {
    sockets.push(...(await Promise.all(mine.slice(start, start + 100).map(open))));
  }
  console.log("ready");
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const [command, expectedText] = line.split(" ");
    if (command !== "stop") continue;
    const expected = Number(expectedText);
    let last = -1;
    while (received < expected && received !== last) {
      last = received;
      await sleep(2000);
    }
    for (const ws of sockets) ws.close();
    // Writes to a pipe are asynchronous: exit once the (large) line is out.
    process.stdout.write(JSON.stringify({ node, sockets: sockets.length, received, duplicates, latencies }) + "\n", () => process.exit(0));
    return;
  }
}

// ---- sender: RATE messages/s for WARMUP_S then DURATION_S, evenly spaced, at most IN_FLIGHT at
// once, over node's plain HTTP client with kept-alive connections (fetch costs several times the
// CPU per request, taken from the same two cores as the servers being measured). Warm-up messages (connection pools filling, statements being prepared, JIT) are delivered
// and counted like the others but carry `warmup` and stay out of the latency figures. Prints its
// JSON result (messages accepted per chat).
async function send() {
  const rate = Number(env("RATE", "100"));
  const warmup = Math.round(rate * Number(env("WARMUP_S", "5")));
  const total = warmup + Math.round(rate * Number(env("DURATION_S", "20")));
  const inFlightLimit = Number(env("IN_FLIGHT", "32"));
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlightLimit });
  const sentPerChat = {};
  let launched = 0;
  let failed = 0;
  let inFlight = 0;
  const started = nowMs();
  let measuredFrom = started;
  while (launched < total) {
    if (launched === warmup) measuredFrom = nowMs();
    const wait = started + (launched * 1000) / rate - nowMs();
    if (wait > 0.5) await sleep(wait);
    while (inFlight >= inFlightLimit) await sleep(1);
    const chatID = chats[launched % chats.length];
    const isWarmup = launched < warmup;
    launched++;
    inFlight++;
    const counted = (ok) => {
      inFlight--;
      if (ok) sentPerChat[chatID] = (sentPerChat[chatID] ?? 0) + 1; else failed++;
    };
    const body = JSON.stringify({ content: JSON.stringify(isWarmup ? { t: nowMs(), warmup: true } : { t: nowMs() }) });
    const request = http.request(`${aURL}/chats/${chatID}/messages`, {
      method: "POST",
      agent,
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), Authorization: `Bearer ${env("ALICE_TOKEN")}` },
    }, (response) => {
      response.resume();
      response.on("end", () => counted(response.statusCode === 201));
    });
    request.on("error", () => counted(false));
    request.end(body);
  }
  const sendSeconds = (nowMs() - measuredFrom) / 1000;
  while (inFlight > 0) await sleep(10);
  console.log(JSON.stringify({ sentPerChat, failed, sendSeconds, measured: total - warmup }));
}

// ---- coordinator
function child(role, extra = {}) {
  const process_ = spawn(process.execPath, ["--experimental-websocket", "--no-warnings", fileURLToPath(import.meta.url)], {
    env: { ...process.env, ROLE: role, ...extra },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: process_.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${role} exited early`);
    return value;
  };
  return { process: process_, next };
}

async function coordinate() {
  const pids = env("PIDS", "").split(",").filter(Boolean).map(Number);
  const rssKB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);

  const rssBefore = pids.map(rssKB);
  const receivers = nodes.map((_, node) => child("receiver", { NODE_INDEX: String(node) }));
  for (const receiver of receivers) {
    const line = await receiver.next();
    if (line !== "ready") throw new Error(`receiver: ${line}`);
  }
  await sleep(1000);
  const rssIdle = pids.map(rssKB);

  const sender = child("sender");
  const sent = JSON.parse(await sender.next());
  const results = [];
  for (const [node, receiver] of receivers.entries()) {
    let expected = 0;
    for (let i = node; i < subscribers; i += nodes.length) expected += sent.sentPerChat[socketChat(i)] ?? 0;
    receiver.process.stdin.write(`stop ${expected}\n`);
    results.push({ ...JSON.parse(await receiver.next()), expected });
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
  const messagesSent = Object.values(sent.sentPerChat).reduce((a, b) => a + b, 0);
  process.stdout.write(JSON.stringify({
    label: env("LABEL", ""),
    nodes: nodes.length, subscribers: results.reduce((a, r) => a + r.sockets, 0), chats: chats.length,
    messages_sent: messagesSent, send_failures: sent.failed, achieved_rate: sent.measured / sent.sendSeconds,
    delivered: results.reduce((a, r) => a + r.received, 0), expected: results.reduce((a, r) => a + r.expected, 0),
    duplicates: results.reduce((a, r) => a + r.duplicates, 0),
    per_node: results.map((r) => summary(r.latencies)),
    all: summary(results.flatMap((r) => r.latencies)),
    idle_rss_kb_per_socket: pids.map((_, i) => (rssIdle[i] - rssBefore[i]) / (subscribers / nodes.length)),
  }) + "\n", () => process.exit(0));
}
