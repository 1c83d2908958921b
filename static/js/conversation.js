// The open conversation: history (newest page first, older pages as the user scrolls up), live
// messages, sending text, stickers and voice, the typing indicator, and polling when the
// WebSocket is down.
//
// Sources. Direct chats are legacy conversations: they are sent to with POST /web-api/messages
// and /web-api/upload/voice and polled with GET /web-api/messages?after_id (legacy-api.md §7.2
// L7-L10). Groups and channels exist only in the JWT API (POST/GET /chats/{id}/messages,
// POST /files). History paging backwards needs `before`, which only the JWT API has; without a
// token, a direct chat's history is read forward through the legacy API instead.

import { h, avatar, safeURL, toast } from './dom.js';
import { webApi, HTTPError } from './api.js';
import { fromLegacy, fromJWT, fromEvent, needsDetails, previewOf } from './messages.js';
import { shortTime, fullTime, duration } from './time.js';

const PAGE_SIZE = 50;
const LEGACY_PAGE_SIZE = 100; // fixed by the legacy API (§5.9)
const LEGACY_MAX_PAGES = 50;
const POLL_INTERVAL_MS = 2500;
const TYPING_SEND_INTERVAL_MS = 3000;
const TYPING_SHOW_MS = 5000;
/** Distance from the top of the history at which the next older page loads. */
const NEAR_TOP_PX = 200;

export class Conversation extends EventTarget {
  /**
   * @param {object} app  the application context: me, cpp, live, stickers, chatList, unread, presence
   */
  constructor(app) {
    super();
    this.app = app;
    this.chat = null;
    this.messages = new Map(); // id -> ChatMessage
    this.nodes = new Map(); // id -> <li>
    this.members = new Map(); // user id -> display name (groups)
    this.oldestID = null;
    this.newestID = 0;
    this.hasOlder = false;
    this.loadingOlder = false;
    this.legacyBacklog = []; // legacy history not rendered yet (no-token mode)
    this.generation = 0; // bumps on every open; stale async results are dropped
    this.pollTimer = 0;
    this.lastTypingSent = 0;
    this.typers = new Map(); // user id -> timeout
    this.myRole = null;
    this.preferJWT = false;
    this.historyLoaded = false;

    this.view = document.getElementById('conversation-view');
    this.empty = document.getElementById('conversation-empty');
    this.title = document.getElementById('conversation-title');
    this.subtitle = document.getElementById('conversation-subtitle');
    this.avatarBox = document.getElementById('conversation-avatar');
    this.scroller = document.getElementById('message-scroller');
    this.list = document.getElementById('message-list');
    this.historyStatus = document.getElementById('history-status');
    this.typingLine = document.getElementById('typing-indicator');
    this.composer = document.getElementById('composer');
    this.input = document.getElementById('composer-input');
    this.readOnly = document.getElementById('read-only-notice');
    this.wire();
  }

  wire() {
    this.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.sendText();
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendText();
      }
    });
    const attach = document.getElementById('attach-file');
    document.getElementById('attach-button').addEventListener('click', () => attach.click());
    attach.addEventListener('change', () => {
      const file = attach.files?.[0];
      if (file) this.sendFile(file);
      attach.value = '';
    });
    this.input.addEventListener('input', () => {
      this.autoGrow();
      this.noteTyping();
    });
    // Older history loads when the top comes near. Intersection entries can arrive late (from
    // before the first page was laid out), so the real scroll position decides.
    new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.loadOlderIfNearTop();
    }, { root: this.scroller, rootMargin: `${NEAR_TOP_PX}px 0px 0px 0px` }).observe(document.getElementById('history-sentinel'));
    this.scroller.addEventListener('scroll', () => this.loadOlderIfNearTop(), { passive: true });
  }

  get chatID() {
    return this.chat?.id ?? null;
  }

  /** Where a resumed subscription of the open chat starts: null until its history is loaded. */
  get resumeID() {
    return this.historyLoaded ? this.newestID : null;
  }

  // MARK: opening

  async open(chat) {
    this.close();
    const generation = ++this.generation;
    this.chat = chat;
    this.view.hidden = false;
    this.empty.hidden = true;
    this.title.textContent = chat.title;
    this.subtitle.textContent = this.describe(chat);
    this.avatarBox.replaceChildren(chat.type === 'direct' ? avatar(chat.avatarURL, chat.title, 'sm') : h('span', { class: 'avatar avatar-sm group-avatar', 'aria-hidden': 'true', text: chat.type === 'channel' ? '#' : '👥' }));
    this.setComposerEnabled(true);
    this.historyStatus.textContent = 'Loading…';
    try {
      if (chat.type !== 'direct') await this.loadDetails(generation);
      await this.loadNewest(generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.historyStatus.textContent = `Could not load messages (${error.status ?? 'network'})`;
      return;
    }
    if (generation !== this.generation) return;
    this.historyLoaded = true;
    this.scrollToBottom();
    this.fillScreen();
    this.markSeen();
    this.app.live.resume(chat.id);
    this.updatePolling();
  }

  close() {
    this.generation += 1;
    clearTimeout(this.pollTimer);
    this.pollTimer = 0;
    for (const timer of this.typers.values()) clearTimeout(timer);
    this.typers.clear();
    this.typingLine.textContent = '';
    this.chat = null;
    this.messages.clear();
    this.nodes.clear();
    this.members.clear();
    this.list.replaceChildren();
    this.oldestID = null;
    this.newestID = 0;
    this.hasOlder = false;
    this.legacyBacklog = [];
    this.myRole = null;
    this.preferJWT = false;
    this.historyLoaded = false;
    this.historyStatus.textContent = '';
    this.readOnly.hidden = true;
  }

  showEmpty() {
    this.close();
    this.view.hidden = true;
    this.empty.hidden = false;
  }

  describe(chat) {
    if (chat.type === 'direct') return chat.otherUsername ? `@${chat.otherUsername}` : 'Direct chat';
    return chat.type === 'channel' ? 'Channel' : 'Group';
  }

  /** Groups and channels: member names for message headers, the role for channel posting. */
  async loadDetails(generation) {
    const detail = await this.app.cpp.request(`/chats/${this.chat.id}`);
    if (generation !== this.generation) return;
    for (const member of detail.members ?? []) this.members.set(member.id, member.display_name || member.username);
    this.myRole = detail.my_role ?? null;
    const count = detail.member_count ?? detail.members?.length;
    this.subtitle.textContent = `${this.describe(this.chat)} · ${count} member${count === 1 ? '' : 's'}`;
    const readOnly = this.chat.type === 'channel' && this.myRole === 'member';
    this.readOnly.hidden = !readOnly;
    this.setComposerEnabled(!readOnly);
  }

  setComposerEnabled(enabled) {
    this.composer.hidden = !enabled;
  }

  async loadNewest(generation) {
    if (this.app.cpp.available) {
      const page = await this.app.cpp.request(`/chats/${this.chat.id}/messages?limit=${PAGE_SIZE}`);
      if (generation !== this.generation) return;
      this.hasOlder = page.length === PAGE_SIZE;
      this.add(page.map(fromJWT));
    } else if (this.chat.type === 'direct') {
      // Legacy history runs forward from the oldest message, 100 at a time (§5.9).
      const all = [];
      for (let page = 0; page < LEGACY_MAX_PAGES; page += 1) {
        const after = all.length ? all[all.length - 1].id : 0;
        const batch = await webApi(`/messages?chat_id=${this.chat.id}&after_id=${after}`);
        if (generation !== this.generation) return;
        all.push(...batch.map(fromLegacy));
        if (batch.length < LEGACY_PAGE_SIZE) break;
      }
      this.legacyBacklog = all.slice(0, Math.max(0, all.length - PAGE_SIZE));
      this.hasOlder = this.legacyBacklog.length > 0;
      this.add(all.slice(-PAGE_SIZE));
    } else {
      throw new HTTPError(0, 'Group chats need the new API', null);
    }
    this.historyStatus.textContent = this.messages.size === 0 ? 'No messages yet. Say hello!' : '';
  }

  loadOlderIfNearTop() {
    if (this.scroller.scrollTop < NEAR_TOP_PX) this.loadOlder();
  }

  /** Loads older pages while they do not fill the screen yet (nothing to scroll otherwise). */
  fillScreen() {
    if (this.hasOlder && this.scroller.scrollHeight <= this.scroller.clientHeight) this.loadOlder();
  }

  async loadOlder() {
    if (!this.chat || !this.hasOlder || this.loadingOlder || this.oldestID === null) return;
    const generation = this.generation;
    this.loadingOlder = true;
    this.historyStatus.textContent = 'Loading earlier messages…';
    const anchor = this.scroller.scrollHeight - this.scroller.scrollTop;
    try {
      let older;
      if (this.legacyBacklog.length > 0) {
        older = this.legacyBacklog.splice(Math.max(0, this.legacyBacklog.length - PAGE_SIZE));
        this.hasOlder = this.legacyBacklog.length > 0;
      } else {
        const page = await this.app.cpp.request(`/chats/${this.chat.id}/messages?limit=${PAGE_SIZE}&before=${this.oldestID}`);
        older = page.map(fromJWT);
        this.hasOlder = page.length === PAGE_SIZE;
      }
      if (generation !== this.generation) return;
      this.add(older);
      // Keep the message the user was looking at in place.
      this.scroller.scrollTop = this.scroller.scrollHeight - anchor;
      this.historyStatus.textContent = this.hasOlder ? '' : 'Beginning of the conversation';
      queueMicrotask(() => this.fillScreen());
    } catch (error) {
      if (generation === this.generation) this.historyStatus.textContent = `Could not load earlier messages (${error.status ?? 'network'})`;
    } finally {
      this.loadingOlder = false;
    }
  }

  // MARK: messages

  /** Adds messages (any order, duplicates ignored) at their place by id. */
  add(messages) {
    const nearBottom = this.isNearBottom();
    let appended = false;
    for (const message of messages) {
      if (!message || typeof message.id !== 'number' || message.chatID !== this.chat?.id) continue;
      const known = this.messages.get(message.id);
      if (known && !needsDetails(known)) continue;
      this.messages.set(message.id, message);
      const node = this.render(message);
      if (known) {
        this.nodes.get(message.id)?.replaceWith(node);
      } else {
        this.insert(message.id, node);
        if (message.id > this.newestID) appended = true;
      }
      this.nodes.set(message.id, node);
      this.oldestID = this.oldestID === null ? message.id : Math.min(this.oldestID, message.id);
      this.newestID = Math.max(this.newestID, message.id);
    }
    if (this.messages.size > 0 && this.historyStatus.textContent.startsWith('No messages')) this.historyStatus.textContent = '';
    if (appended && nearBottom) this.scrollToBottom();
  }

  insert(id, node) {
    // Most additions are at either end.
    const last = this.list.lastElementChild;
    if (!last || Number(last.dataset.messageId) < id) {
      this.list.append(node);
      return;
    }
    for (const child of this.list.children) {
      if (Number(child.dataset.messageId) > id) {
        child.before(node);
        return;
      }
    }
    this.list.append(node);
  }

  /** A live message event for this chat (WebSocket). */
  receive(event) {
    const message = fromEvent(event);
    this.complete(message);
    this.add([message]);
    if (needsDetails(message) || message.senderName === null) this.fetchDetails(message);
    if (document.visibilityState === 'visible') this.markSeen();
    this.stopTyping(message.senderID);
  }

  /** Fills in what a WebSocket event lacks from what the page already knows. */
  complete(message) {
    if (message.senderID === this.app.me.id) message.senderName = this.app.me.display_name || this.app.me.username;
    else if (this.chat?.type === 'direct') message.senderName = this.chat.title;
    else message.senderName = this.members.get(message.senderID) ?? null;
    if (message.type === 'sticker') {
      const sticker = this.app.stickers.get(message.stickerID ?? Number.parseInt(message.content, 10));
      message.stickerURL = sticker?.url ?? null;
      message.stickerLabel = sticker?.label ?? null;
    }
  }

  /** Reads the full stored message (attachment URL, sender) of a WebSocket event. */
  async fetchDetails(message) {
    const generation = this.generation;
    try {
      let full = null;
      if (this.app.cpp.available) {
        const page = await this.app.cpp.request(`/chats/${message.chatID}/messages?after_id=${message.id - 1}&limit=1`);
        full = page[0] ? fromJWT(page[0]) : null;
      } else if (this.chat?.type === 'direct') {
        const page = await webApi(`/messages?chat_id=${message.chatID}&after_id=${message.id - 1}`);
        full = page[0] ? fromLegacy(page[0]) : null;
      }
      if (generation !== this.generation || !full || full.id !== message.id) return;
      if (full.senderName) this.members.set(full.senderID, full.senderName);
      this.messages.delete(message.id);
      const node = this.render(full);
      this.messages.set(full.id, full);
      this.nodes.get(full.id)?.replaceWith(node);
      this.nodes.set(full.id, node);
    } catch {
      // The event's own text stays on screen.
    }
  }

  render(message) {
    const mine = message.senderID === this.app.me.id;
    const name = message.senderName ?? 'Someone';
    const body = this.renderBody(message);
    return h('li', {
      class: `message${mine ? ' mine' : ''}`,
      dataset: { messageId: String(message.id), type: message.type, senderId: String(message.senderID) },
    },
    mine ? null : avatar(message.senderAvatar, name, 'sm'),
    h('div', { class: 'bubble' },
      this.chat?.type === 'direct' || mine ? h('span', { class: 'visually-hidden', text: `${mine ? 'You' : name}: ` }) : h('span', { class: 'message-author', text: name }),
      body,
      h('time', { class: 'message-time', datetime: message.createdAt ? new Date(message.createdAt).toISOString() : null, title: fullTime(message.createdAt), text: shortTime(message.createdAt) })));
  }

  renderBody(message) {
    switch (message.type) {
      case 'sticker': {
        const src = safeURL(message.stickerURL);
        const label = message.stickerLabel || 'Sticker';
        return src
          ? h('img', { class: 'sticker', src, alt: label, title: label, width: 112, height: 112, loading: 'lazy' })
          : h('p', { class: 'message-text', text: `🎭 ${label}` });
      }
      case 'voice': {
        const src = safeURL(message.attachmentURL);
        return h('div', { class: 'voice' },
          src ? h('audio', { controls: true, preload: 'none', src, 'aria-label': `Voice message, ${duration(message.durationSeconds)}` }) : h('span', { text: 'Voice message…' }),
          h('span', { class: 'voice-duration', text: duration(message.durationSeconds) }));
      }
      case 'file': {
        const href = safeURL(message.attachmentURL);
        const label = message.fileName || 'File';
        // The send reply may carry no MIME type; the stored name's extension says as much.
        const isImage = /^image\/(png|jpeg|gif|webp)$/u.test(message.mimeType ?? '')
          || (!message.mimeType && /\.(png|jpe?g|gif|webp)$/iu.test(label));
        const image = href && isImage
          ? h('img', { class: 'attachment-image', src: href, alt: label, loading: 'lazy' }) : null;
        return h('div', { class: 'attachment' },
          image,
          h('p', { class: 'message-text' }, href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', text: `📎 ${label}` }) : `📎 ${label}`),
          message.content ? h('p', { class: 'message-text caption', text: message.content }) : null);
      }
      default:
        return h('p', { class: 'message-text', text: message.content });
    }
  }

  // MARK: sending

  async sendText() {
    const content = this.input.value.trim();
    if (!content || !this.chat) return;
    if (Array.from(content).length > 4000) {
      toast('Message too long (max 4000 chars)', 'error');
      return;
    }
    this.input.value = '';
    this.autoGrow();
    try {
      await this.send({ type: 'text', content });
    } catch (error) {
      if (!this.input.value) this.input.value = content; // give the text back
      toast(error.message || 'Could not send the message.', 'error');
    }
  }

  async sendSticker(sticker) {
    if (!this.chat) return;
    try {
      await this.send({ type: 'sticker', stickerID: sticker.id });
    } catch (error) {
      toast(error.message || 'Could not send the sticker.', 'error');
    }
  }

  /** Sends through the API that owns the chat; adds the stored message at once. */
  async send({ type, content = '', stickerID }) {
    const chat = this.chat;
    let message;
    if (chat.type === 'direct' && !this.preferJWT) {
      try {
        const body = type === 'sticker' ? { chat_id: chat.id, type, sticker_id: stickerID } : { chat_id: chat.id, type, content };
        message = fromLegacy(await webApi('/messages', { method: 'POST', json: body }));
      } catch (error) {
        // A direct chat made through the JWT API only may be unknown to a strict legacy check.
        if (!(error instanceof HTTPError && error.status === 404 && this.app.cpp.available)) throw error;
        this.preferJWT = true;
      }
    }
    if (!message) {
      const body = { type, content, client_msg_id: crypto.randomUUID() };
      if (type === 'sticker') body.sticker_id = stickerID;
      message = fromJWT(await this.app.cpp.request(`/chats/${chat.id}/messages`, { method: 'POST', json: body }));
    }
    this.delivered(chat, message);
  }

  /** A message the user just stored: show it, move the chat up. */
  delivered(chat, message) {
    if (this.chat?.id !== chat.id) return;
    if (message.type === 'sticker' && !message.stickerURL) this.complete(message);
    this.add([message]);
    this.scrollToBottom();
    this.markSeen();
    this.dispatchEvent(new CustomEvent('sent', { detail: message }));
  }

  /** Uploads a voice recording (or a chosen audio file) and posts it as a voice message. */
  async sendVoice(blob, fileName, seconds) {
    const chat = this.chat;
    if (!chat) return;
    try {
      let message;
      if (chat.type === 'direct' && !this.preferJWT) {
        const form = new FormData();
        form.append('file', blob, fileName);
        form.append('chat_id', String(chat.id));
        form.append('duration', String(Math.max(0, Math.round(seconds))));
        message = fromLegacy(await webApi('/upload/voice', { method: 'POST', form }));
      } else {
        const form = new FormData();
        form.append('file', blob, fileName);
        const file = await this.app.cpp.request('/files', { method: 'POST', form });
        message = fromJWT(await this.app.cpp.request(`/chats/${chat.id}/messages`, {
          method: 'POST',
          json: { type: 'voice', content: '', file_id: file.id, duration_seconds: Math.round(seconds), client_msg_id: crypto.randomUUID() },
        }));
      }
      this.delivered(chat, message);
    } catch (error) {
      toast(error.message || 'Could not send the voice message.', 'error');
    }
  }

  /** Any file, through the JWT API (POST /files, then a `file` message). */
  async sendFile(file) {
    const chat = this.chat;
    if (!chat) return;
    if (!this.app.cpp.available) {
      toast('Files need the new API, which is not available for this session.', 'error');
      return;
    }
    try {
      const form = new FormData();
      form.append('file', file, file.name);
      const stored = await this.app.cpp.request('/files', { method: 'POST', form });
      const message = fromJWT(await this.app.cpp.request(`/chats/${chat.id}/messages`, {
        method: 'POST', json: { type: 'file', content: '', file_id: stored.id, client_msg_id: crypto.randomUUID() },
      }));
      this.delivered(chat, message);
    } catch (error) {
      toast(error.message || 'Could not send the file.', 'error');
    }
  }

  // MARK: typing

  noteTyping() {
    if (!this.chat || !this.input.value) return;
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SEND_INTERVAL_MS) return;
    this.lastTypingSent = now;
    this.app.live.typing(this.chat.id);
  }

  /** Someone else is typing in this chat. */
  showTyping(userID) {
    if (userID === this.app.me.id) return;
    clearTimeout(this.typers.get(userID));
    this.typers.set(userID, setTimeout(() => this.stopTyping(userID), TYPING_SHOW_MS));
    this.renderTyping();
  }

  stopTyping(userID) {
    if (!this.typers.has(userID)) return;
    clearTimeout(this.typers.get(userID));
    this.typers.delete(userID);
    this.renderTyping();
  }

  renderTyping() {
    const names = [...this.typers.keys()].map((id) => (this.chat?.type === 'direct' ? this.chat.title : this.members.get(id) ?? 'Someone'));
    this.typingLine.textContent = names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`;
  }

  // MARK: polling fallback

  /** Polls for new messages while the WebSocket is not live (legacy-api.md §7.1: every 2.5 s). */
  updatePolling() {
    clearTimeout(this.pollTimer);
    this.pollTimer = 0;
    if (!this.chat || !this.historyLoaded || this.app.live.state === 'live') return;
    this.pollTimer = setTimeout(() => this.poll(), POLL_INTERVAL_MS);
  }

  async poll() {
    const chat = this.chat;
    const generation = this.generation;
    if (!chat) return;
    try {
      let fresh = [];
      if (chat.type === 'direct') {
        fresh = (await webApi(`/messages?chat_id=${chat.id}&after_id=${this.newestID}`)).map(fromLegacy);
      } else if (this.app.cpp.available) {
        fresh = (await this.app.cpp.request(`/chats/${chat.id}/messages?after_id=${this.newestID}&limit=100`)).map(fromJWT);
      }
      if (generation !== this.generation) return;
      if (fresh.length) {
        this.add(fresh);
        const newest = fresh[fresh.length - 1];
        this.dispatchEvent(new CustomEvent('polled', { detail: newest }));
        if (document.visibilityState === 'visible') this.markSeen();
      }
    } catch {
      // Try again on the next tick.
    }
    if (generation === this.generation) this.updatePolling();
  }

  // MARK: view helpers

  markSeen() {
    if (!this.chat) return;
    this.app.unread.seen(this.chat.id, this.newestID);
    this.app.chatList.render();
  }

  isNearBottom() {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 120;
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  autoGrow() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 160)}px`;
    this.input.style.overflowY = this.input.scrollHeight > 160 ? 'auto' : 'hidden';
  }

  /** The chat list preview for a message of any source. */
  static preview(message) {
    return previewOf(message);
  }
}
