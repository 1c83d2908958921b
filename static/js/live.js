// The /ws connection (jwt-api.md §5, docs/websocket.md): authenticates with the access token,
// subscribes to the user's chats, reconnects with backoff after any drop and resumes every chat
// whose newest message id is known with `last_message_id`, so nothing sent meanwhile is lost.
//
// Events: `state` (detail: 'connecting' | 'live' | 'offline'), `message`, `typing`, `presence`
// (detail: the server frame), `resync` (detail: chat id; the server refused to replay because too
// much was missed, so the caller reloads that chat over HTTP), `removed` (detail: chat id).

const PING_INTERVAL_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;
/** Client frames allowed per second; the server closes above 20/s sustained (websocket.md §6). */
const FRAMES_PER_SECOND = 8;
const FRAME_BURST = 16;

export class LiveConnection extends EventTarget {
  /**
   * @param {object} options
   * @param {() => string} options.url            the /ws URL
   * @param {() => Promise<string|null>} options.token  a usable access token, or null
   * @param {(chatID: number) => number|null} options.lastMessageID  newest id held for a chat
   */
  constructor({ url, token, lastMessageID }) {
    super();
    this.url = url;
    this.token = token;
    this.lastMessageID = lastMessageID;
    this.chats = new Set();
    this.socket = null;
    this.state = 'offline';
    this.failures = 0;
    this.stopped = true;
    this.retryTimer = 0;
    this.pingTimer = 0;
    this.outbox = [];
    this.credit = FRAME_BURST;
    this.creditTimer = 0;
    this.lastCredit = performance.now();
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.closeSocket();
    this.setState('offline');
  }

  /** Follows `chatID` live; resumes from the newest message id the app holds for it. */
  follow(chatID) {
    if (this.chats.has(chatID)) return;
    this.chats.add(chatID);
    if (this.state === 'live') this.subscribe(chatID);
  }

  /** Resubscribes with resume, e.g. after the app learnt the newest id of a chat. */
  resume(chatID) {
    this.chats.add(chatID);
    if (this.state === 'live') this.subscribe(chatID);
  }

  unfollow(chatID) {
    if (!this.chats.delete(chatID)) return;
    if (this.state === 'live') this.send({ type: 'unsubscribe', chat_id: chatID });
  }

  typing(chatID) {
    if (this.state === 'live' && this.chats.has(chatID)) this.send({ type: 'typing', chat_id: chatID });
  }

  /** Gives a same-user token to the open socket before the old one expires (websocket.md §1). */
  reauthenticate(token) {
    if (this.socket?.readyState === WebSocket.OPEN) this.sendNow({ type: 'auth', token });
  }

  // MARK: connection

  async connect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.setState('connecting');
    const token = await this.token();
    if (this.stopped) return;
    if (!token) {
      this.setState('offline');
      this.scheduleRetry();
      return;
    }
    let socket;
    try {
      socket = new WebSocket(this.url());
    } catch {
      this.failed();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => this.sendNow({ type: 'auth', token }));
    socket.addEventListener('message', (event) => this.received(event.data));
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      clearInterval(this.pingTimer);
      this.failed();
    });
    // 'error' is always followed by 'close'.
  }

  closeSocket() {
    const socket = this.socket;
    this.socket = null;
    clearInterval(this.pingTimer);
    this.outbox = [];
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  }

  failed() {
    if (this.stopped) return;
    this.failures += 1;
    this.setState(this.failures > 1 ? 'offline' : 'connecting');
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures, 5));
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnects now (e.g. the browser came back online or a new token arrived). */
  retrySoon() {
    if (this.stopped || this.state === 'live' || this.socket) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), 200);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  // MARK: frames

  received(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    switch (frame.type) {
      case 'auth_ok':
        if (this.state !== 'live') {
          this.failures = 0;
          this.setState('live');
          for (const chatID of this.chats) this.subscribe(chatID);
          clearInterval(this.pingTimer);
          this.pingTimer = setInterval(() => this.send({ type: 'ping' }), PING_INTERVAL_MS);
        }
        break;
      case 'message':
        this.dispatchEvent(new CustomEvent('message', { detail: frame }));
        break;
      case 'typing':
        this.dispatchEvent(new CustomEvent('typing', { detail: frame }));
        break;
      case 'presence':
        this.dispatchEvent(new CustomEvent('presence', { detail: frame }));
        break;
      case 'unsubscribed':
        if (frame.reason === 'member_removed') {
          this.chats.delete(frame.chat_id);
          this.dispatchEvent(new CustomEvent('removed', { detail: frame.chat_id }));
        }
        break;
      case 'error':
        this.serverError(frame);
        break;
      default:
        break; // pong, subscribed and unknown types need nothing
    }
  }

  serverError(frame) {
    if (frame.message === 'Too many missed messages' && typeof frame.chat_id === 'number') {
      this.dispatchEvent(new CustomEvent('resync', { detail: frame.chat_id }));
      // Follow from now on; the app fetches the gap over HTTP and may resume again.
      this.send({ type: 'subscribe', chat_id: frame.chat_id });
    } else if (frame.message === 'Not a member of this chat') {
      // Left or never joined: nothing to follow. The chat list refresh drops it.
    }
    // Authentication problems end with a close frame; 'close' reconnects with a fresh token.
  }

  subscribe(chatID) {
    const last = this.lastMessageID(chatID);
    const frame = { type: 'subscribe', chat_id: chatID };
    if (typeof last === 'number' && last >= 0) frame.last_message_id = last;
    this.send(frame);
  }

  /** Sends within the client frame budget; frames beyond it wait in order. */
  send(frame) {
    this.outbox.push(frame);
    this.drain();
  }

  sendNow(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  drain() {
    const now = performance.now();
    this.credit = Math.min(FRAME_BURST, this.credit + ((now - this.lastCredit) / 1000) * FRAMES_PER_SECOND);
    this.lastCredit = now;
    while (this.outbox.length > 0 && this.credit >= 1) {
      if (this.socket?.readyState !== WebSocket.OPEN) {
        this.outbox = [];
        return;
      }
      this.credit -= 1;
      this.sendNow(this.outbox.shift());
    }
    if (this.outbox.length > 0 && !this.creditTimer) {
      this.creditTimer = setTimeout(() => {
        this.creditTimer = 0;
        this.drain();
      }, 1000 / FRAMES_PER_SECOND);
    }
  }
}
