#!/usr/bin/python3
"""WebSocket load generator for scripts/bench/load.sh (see there for the whole benchmark).

N clients hold WebSockets, each subscribed to its room, a room's clients spread round robin over
the gateway nodes; M senders POST /chats/{id}/messages at a fixed rate each (sender j to node
j mod NODES) for a fixed time, so with two nodes half of all deliveries cross nodes. Every message's content carries its send
time, so each delivery's latency is measured in this one process. At the end it prints
delivered/expected (every stored message must reach every subscribed member: 100 %), latency
percentiles, errors by kind, and the CPU and RSS of the gateway processes named by --pids, and
writes the same figures as JSON (--json).

Accounts and rooms come from --plan (lines "user_id<TAB>client|sender<TAB>chat_id", made by
load.sh in SQL); access tokens are minted here with the gateway's JWT secret (environment
LOAD_JWT_SECRET), in the token format of jwt-api.md §4.1, so no login (password hashing) is needed.
Needs python3-websockets (Debian) and nothing else.
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import resource
import sys
import time
import urllib.parse

import websockets


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def access_token(secret, user_id, ttl=86400):
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"exp": now + ttl, "iat": now, "is_admin": False, "sub": str(user_id), "type": "access"}
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[index]


class ProcessSampler:
    """CPU (utime+stime) and RSS of the gateway processes, read from /proc."""

    def __init__(self, pids):
        self.pids = pids
        self.hz = os.sysconf("SC_CLK_TCK")
        self.peak_rss_kib = {pid: 0 for pid in pids}

    def ticks(self, pid):
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime

    def rss_kib(self, pid):
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def snapshot(self):
        return {pid: self.ticks(pid) for pid in self.pids if os.path.exists(f"/proc/{pid}")}

    def sample_rss(self):
        for pid in self.pids:
            try:
                self.peak_rss_kib[pid] = max(self.peak_rss_kib[pid], self.rss_kib(pid))
            except OSError:
                pass

    async def run(self, stop):
        while not stop.is_set():
            self.sample_rss()
            await asyncio.sleep(0.5)


class Load:
    def __init__(self, options, plan):
        self.options = options
        self.nodes = [url.rstrip("/") for url in options.nodes.split(",")]
        self.clients = [(user, chat) for user, role, chat in plan if role == "client"]
        self.senders = [(user, chat) for user, role, chat in plan if role == "sender"]
        # Each room's clients alternate over the nodes, so with two nodes half of every room's
        # deliveries cross nodes whichever node the sender posts to.
        self.receivers_per_chat = {}
        self.client_node = []
        for _, chat in self.clients:
            self.client_node.append(self.receivers_per_chat.get(chat, 0) % len(self.nodes))
            self.receivers_per_chat[chat] = self.receivers_per_chat.get(chat, 0) + 1
        self.run_id = os.urandom(4).hex()
        self.secret = os.environ["LOAD_JWT_SECRET"]
        self.sent = {}             # message id -> chat id
        self.receipts = set()      # (client index, message id)
        self.duplicates = 0
        self.latencies_ms = []
        self.errors = {}
        self.expected_total = 0
        self.sockets_ready = 0
        self.stop_sending = asyncio.Event()
        self.stop_receiving = asyncio.Event()

    def error(self, kind):
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def ws_url(self, index):
        base = self.nodes[self.client_node[index]]
        return "ws" + base[len("http"):] + "/ws"

    # ------------------------------------------------------------ receivers

    async def client(self, index, user_id, chat_id, ready, connect_slots):
        prefix = f"load {self.run_id} "
        socket = None
        try:
            async with connect_slots:
                socket = await websockets.connect(self.ws_url(index), max_size=1 << 20, open_timeout=30,
                                                  ping_interval=20, close_timeout=2)
                await socket.send(json.dumps({"type": "auth", "token": access_token(self.secret, user_id)}))
                await self.expect(socket, "auth_ok")
                await socket.send(json.dumps({"type": "subscribe", "chat_id": chat_id}))
                await self.expect(socket, "subscribed")
            self.sockets_ready += 1
            ready.set_result(True)
            while not self.stop_receiving.is_set():
                try:
                    frame = await asyncio.wait_for(socket.recv(), timeout=0.5)
                except asyncio.TimeoutError:
                    continue
                received = time.monotonic_ns()
                event = json.loads(frame)
                if event.get("type") == "error":
                    self.error(f"ws error: {event.get('message')}")
                    continue
                if event.get("type") != "message" or not str(event.get("content", "")).startswith(prefix):
                    continue
                key = (index, event["id"])
                if key in self.receipts:
                    self.duplicates += 1
                    continue
                self.receipts.add(key)
                sent_at = int(event["content"].split()[-1])
                self.latencies_ms.append((received - sent_at) / 1e6)
        except Exception as error:  # noqa: BLE001 - every failure is counted by kind
            self.error(f"ws {type(error).__name__}: {str(error)[:80]}")
        finally:
            if not ready.done():
                ready.set_result(False)
            if socket is not None:
                await socket.close()

    @staticmethod
    async def expect(socket, kind):
        while True:
            event = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
            if event.get("type") == kind:
                return event
            if event.get("type") == "error":
                raise RuntimeError(f"{kind} expected, got error {event.get('message')}")

    # ------------------------------------------------------------ senders

    async def sender(self, index, user_id, chat_id):
        base = urllib.parse.urlsplit(self.nodes[index % len(self.nodes)])
        token = access_token(self.secret, user_id)
        interval = 1.0 / self.options.rate
        # Start times spread over one interval, so senders do not fire in lockstep.
        next_at = time.monotonic() + interval * index / max(1, len(self.senders))
        reader = writer = None
        sequence = 0
        while not self.stop_sending.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(self.stop_sending.wait(), timeout=delay)
                    break
                except asyncio.TimeoutError:
                    pass
            next_at += interval
            sequence += 1
            body = json.dumps({
                "content": f"load {self.run_id} {index} {sequence} {time.monotonic_ns()}",
                "client_msg_id": f"{self.run_id}-{index}-{sequence}",
            }).encode()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(base.hostname, base.port)
                request = (f"POST /chats/{chat_id}/messages HTTP/1.1\r\nHost: {base.netloc}\r\n"
                           f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(body)}\r\n\r\n").encode() + body
                writer.write(request)
                status, payload = await asyncio.wait_for(self.read_response(reader), timeout=10)
                if status in (200, 201):
                    self.sent[json.loads(payload)["id"]] = chat_id
                else:
                    self.error(f"POST HTTP {status}")
            except Exception as error:  # noqa: BLE001
                self.error(f"POST {type(error).__name__}")
                if writer is not None:
                    writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    @staticmethod
    async def read_response(reader):
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        return status, await reader.readexactly(length)

    # ------------------------------------------------------------ run

    def delivered(self):
        return sum(1 for _, message in self.receipts if message in self.sent)

    def expected(self):
        return sum(self.receivers_per_chat.get(chat, 0) for chat in self.sent.values())

    async def run(self):
        sampler = ProcessSampler([int(pid) for pid in self.options.pids.split(",") if pid])
        connect_started = time.monotonic()
        # Connect in waves, so the listen backlogs are not flooded.
        connect_slots = asyncio.Semaphore(self.options.connect_concurrency)
        loop = asyncio.get_running_loop()
        readiness = [loop.create_future() for _ in self.clients]
        tasks = [asyncio.create_task(self.client(index, user, chat, readiness[index], connect_slots))
                 for index, (user, chat) in enumerate(self.clients)]
        await asyncio.gather(*readiness)
        connect_seconds = time.monotonic() - connect_started
        print(f"[load] {self.sockets_ready}/{len(self.clients)} sockets subscribed in {connect_seconds:.1f} s", file=sys.stderr)

        stop_sampling = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(stop_sampling))
        cpu_before = sampler.snapshot()
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        senders = [asyncio.create_task(self.sender(index, user, chat)) for index, (user, chat) in enumerate(self.senders)]
        await asyncio.sleep(self.options.duration)
        self.stop_sending.set()
        await asyncio.gather(*senders)
        send_seconds = time.monotonic() - started
        # Drain: wait until every expected delivery arrived, or the drain time passed.
        drain_deadline = time.monotonic() + self.options.drain
        while self.delivered() < self.expected() and time.monotonic() < drain_deadline:
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - started
        cpu_after = sampler.snapshot()
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        stop_sampling.set()
        await sampling
        self.stop_receiving.set()
        await asyncio.gather(*tasks)

        latencies = sorted(self.latencies_ms)
        gateways = []
        for pid in sampler.pids:
            ticks = cpu_after.get(pid, 0) - cpu_before.get(pid, 0)
            gateways.append({"pid": pid, "cpu_cores": ticks / sampler.hz / elapsed,
                             "peak_rss_mib": sampler.peak_rss_kib[pid] / 1024})
        own_cpu = (own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime) / elapsed
        return {
            "nodes": len(self.nodes), "clients": len(self.clients), "senders": len(self.senders),
            "rooms": len(self.receivers_per_chat), "rate_per_sender": self.options.rate,
            "duration_s": self.options.duration, "send_seconds": round(send_seconds, 2),
            "sockets_subscribed": self.sockets_ready, "connect_seconds": round(connect_seconds, 2),
            "messages_sent": len(self.sent), "messages_per_second": round(len(self.sent) / send_seconds, 1),
            "expected": self.expected(), "delivered": self.delivered(), "duplicates": self.duplicates,
            "latency_ms": {name: percentile(latencies, q) for name, q in
                           (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))},
            "errors": self.errors, "gateways": gateways, "load_generator_cpu_cores": round(own_cpu, 2),
        }


def report(result):
    ratio = 100.0 * result["delivered"] / result["expected"] if result["expected"] else 0.0
    ms = lambda v: "–" if v is None else f"{v:.1f} ms"  # noqa: E731
    lines = [
        f"| nodes | clients | senders × rate | msgs/s | delivered/expected | p50 | p90 | p99 | max | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['nodes']} | {result['sockets_subscribed']}/{result['clients']} | {result['senders']} × {result['rate_per_sender']:g}/s "
        f"| {result['messages_per_second']:g} | {result['delivered']}/{result['expected']} ({ratio:.2f} %) "
        f"| {ms(result['latency_ms']['p50'])} | {ms(result['latency_ms']['p90'])} | {ms(result['latency_ms']['p99'])} "
        f"| {ms(result['latency_ms']['max'])} | {sum(result['errors'].values())} |",
        "",
        "| gateway pid | CPU (cores) | peak RSS |",
        "|---:|---:|---:|",
    ]
    for gateway in result["gateways"]:
        lines.append(f"| {gateway['pid']} | {gateway['cpu_cores']:.2f} | {gateway['peak_rss_mib']:.0f} MiB |")
    lines.append("")
    lines.append(f"Load generator CPU: {result['load_generator_cpu_cores']:.2f} cores. Duplicates: {result['duplicates']}.")
    if result["errors"]:
        lines.append("Errors: " + "; ".join(f"{kind} ×{count}" for kind, count in sorted(result["errors"].items())))
    else:
        lines.append("Errors: none.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", required=True, help="comma-separated gateway base URLs (http://host:port)")
    parser.add_argument("--plan", required=True, help="file of user_id<TAB>client|sender<TAB>chat_id lines")
    parser.add_argument("--duration", type=float, default=30, help="seconds of sending")
    parser.add_argument("--rate", type=float, default=2, help="messages per second per sender")
    parser.add_argument("--drain", type=float, default=15, help="seconds to wait for late deliveries")
    parser.add_argument("--pids", default="", help="comma-separated gateway pids for CPU and RSS")
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--json", help="write the figures here as JSON")
    options = parser.parse_args()
    with open(options.plan) as handle:
        plan = [(int(user), role, int(chat)) for user, role, chat in (line.split() for line in handle if line.strip())]
    result = asyncio.run(Load(options, plan).run())
    if options.json:
        with open(options.json, "w") as handle:
            json.dump(result, handle, indent=2)
    print(report(result))
    complete = result["expected"] > 0 and result["delivered"] == result["expected"]
    sys.exit(0 if complete and result["sockets_subscribed"] == result["clients"] else 1)


if __name__ == "__main__":
    main()
