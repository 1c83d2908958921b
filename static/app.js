// The app page (/app and the deep links). Wires the pieces in static/js together:
// who is signed in (GET /web-api/me), the theme (GET /web-api/settings), the chat list, the open
// conversation, the dialogs, live updates over /ws with polling as the fallback, and deep links.
// See docs/spa.md for which endpoint each feature uses.

import { $, avatar, toast } from './js/dom.js';
import { webApi, CppAPI, HTTPError, onLegacyUnauthorised } from './js/api.js';
import { TokenStore, forgetToken } from './js/tokens.js';
import { applyTheme, applyCachedTheme } from './js/theme.js';
import { ChatList } from './js/chat-list.js';
import { Conversation } from './js/conversation.js';
import { LiveConnection } from './js/live.js';
import { UnreadTracker } from './js/unread.js';
import { PresenceTracker } from './js/presence.js';
import { fromEvent, previewOf } from './js/messages.js';
import { StickerPicker, VoiceRecorder } from './js/composer-tools.js';
import { NewChatDialog, NewGroupDialog, ProfileDialog, UserDialog, JoinDialog } from './js/dialogs.js';
import { currentDeepLink } from './js/deeplinks.js';

/** Chat list refresh while live (catches chats others created) and while polling (§7.1: 5 s). */
const LIST_REFRESH_LIVE_MS = 10_000;
const LIST_REFRESH_POLLING_MS = 5_000;
/** Presence lookups when the socket (re)connects: at most this many partners, this often. */
const PRESENCE_LOOKUPS = 30;
const PRESENCE_RELOAD_MS = 60_000;

class App {
  async start() {
    applyCachedTheme();
    onLegacyUnauthorised(() => this.toLogin());
    let settings;
    try {
      [this.me, settings] = await Promise.all([webApi('/me'), webApi('/settings')]);
    } catch (error) {
      if (error instanceof HTTPError && (error.status === 401 || error.status === 404)) this.toLogin();
      else $('#conversation-empty').textContent = 'Could not reach the server. Reload to try again.';
      return;
    }
    applyTheme(settings.theme);
    this.notificationsEnabled = Boolean(settings.notifications_enabled);
    this.layout = $('#app');
    this.tokens = new TokenStore(this.me.id);
    await this.tokens.ensure();
    this.cpp = new CppAPI(document.body.dataset.cppApi ?? '', this.tokens);
    this.unread = new UnreadTracker(this.me.id);
    this.presence = new PresenceTracker();
    this.stickers = new Map();
    this.newestIDs = new Map(); // chat id -> newest message id seen live
    this.chatList = new ChatList($('#chat-list'), $('#chat-list-empty'), { unread: this.unread, presence: this.presence });
    this.live = new LiveConnection({
      url: () => this.cpp.socketURL(),
      token: () => this.tokens.ensure(),
      lastMessageID: (chatID) => this.resumePoint(chatID),
    });
    this.conversation = new Conversation(this);
    this.stickerPicker = new StickerPicker(this.conversation, this.stickers);
    this.voice = new VoiceRecorder(this.conversation);
    this.dialogs = {
      newChat: new NewChatDialog(this),
      newGroup: new NewGroupDialog(this),
      profile: new ProfileDialog(this),
      user: new UserDialog(this),
      join: new JoinDialog(this),
    };
    this.renderMe();
    this.wire();
    this.loadStickers();
    await this.refreshChats();
    this.layout.removeAttribute('aria-busy');
    this.live.start();
    this.scheduleListRefresh();
    this.scheduleTokenRenewal();
    await this.followDeepLink();
    this.openFromHash();
  }

  wire() {
    $('#me-button').addEventListener('click', () => this.dialogs.profile.open());
    $('#new-chat-button').addEventListener('click', () => this.dialogs.newChat.open());
    $('#new-group-button').addEventListener('click', () => this.dialogs.newGroup.open());
    $('#back-button').addEventListener('click', () => this.showList());
    this.chatList.addEventListener('select', (event) => this.openChat(event.detail));
    this.presence.addEventListener('change', () => this.chatList.render());
    this.conversation.addEventListener('sent', (event) => this.messageStored(event.detail));
    this.conversation.addEventListener('polled', (event) => this.messageStored(event.detail));
    this.live.addEventListener('state', (event) => this.liveStateChanged(event.detail));
    this.live.addEventListener('message', (event) => this.liveMessage(event.detail));
    this.live.addEventListener('typing', (event) => this.liveTyping(event.detail));
    this.live.addEventListener('presence', (event) => this.presence.report(event.detail.user_id, event.detail.status));
    this.live.addEventListener('resync', (event) => this.resync(event.detail));
    this.live.addEventListener('removed', (event) => this.removedFrom(event.detail));
    this.tokens.addEventListener('change', () => {
      if (this.tokens.current()) this.live.retrySoon();
    });
    window.addEventListener('hashchange', () => this.openFromHash());
    window.addEventListener('online', () => this.live.retrySoon());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.conversation.chatID !== null) this.conversation.markSeen();
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.layout.dataset.view === 'chat' && !document.querySelector('dialog[open]')
          && $('#sticker-panel').hidden && window.matchMedia('(max-width: 759px)').matches) {
        this.showList();
      }
    });
  }

  // MARK: user

  renderMe() {
    const name = this.me.display_name || this.me.username;
    $('#me-avatar').replaceChildren(avatar(this.me.avatar_url, name, 'sm'));
    $('#me-name').textContent = name;
    $('#me-button').dataset.username = this.me.username;
    $('#me-button').setAttribute('aria-label', `${name}: profile and settings`);
  }

  updateMe(changes) {
    Object.assign(this.me, changes);
    this.renderMe();
  }

  async logout() {
    this.live.stop();
    try {
      await webApi('/logout', { method: 'POST', allow401: true });
    } catch {
      // The cookie is dropped by the server; going to /login is right either way.
    }
    forgetToken();
    location.assign('/login');
  }

  toLogin() {
    this.live?.stop();
    location.assign('/login');
  }

  async loadStickers() {
    try {
      for (const sticker of await webApi('/stickers')) this.stickers.set(sticker.id, sticker);
    } catch {
      // The picker shows "No stickers."; sticker messages fall back to their label.
    }
  }

  // MARK: chat list

  async refreshChats() {
    const [legacy, jwt] = await Promise.all([
      webApi('/chats').catch(() => null),
      this.cpp.available ? this.cpp.request('/chats').catch(() => null) : Promise.resolve(null),
    ]);
    const firstLoad = !this.chatList.loaded;
    const before = new Set(this.chatList.chats.keys());
    this.chatList.replace(legacy, jwt);
    const live = this.live.state === 'live';
    for (const chat of this.chatList.chats.values()) {
      const isNew = !firstLoad && !before.delete(chat.id);
      // A chat that appeared while the page is open (someone wrote to us first) is followed
      // from its first message, so what is already in it counts as unread.
      if (isNew && live && this.resumePoint(chat.id) === null) this.newestIDs.set(chat.id, 0);
      // Unread counting: the socket counts the chats it resumes exactly; the others (and all
      // chats while polling) go by last activity.
      if (chat.id !== this.conversation.chatID && (!live || this.resumePoint(chat.id) === null)) {
        this.unread.activity(chat.id, chat.lastAt, isNew && chat.preview !== '');
      }
      this.live.follow(chat.id);
    }
    for (const gone of before) this.live.unfollow(gone);
    this.chatList.render();
  }

  scheduleListRefresh() {
    clearTimeout(this.listTimer);
    const interval = this.live.state === 'live' ? LIST_REFRESH_LIVE_MS : LIST_REFRESH_POLLING_MS;
    this.listTimer = setTimeout(async () => {
      await this.refreshChats();
      this.scheduleListRefresh();
    }, interval);
  }

  /** A message the user sent, or one found by polling: moves its chat up. */
  messageStored(message) {
    this.newestIDs.set(message.chatID, Math.max(message.id, this.newestIDs.get(message.chatID) ?? 0));
    if (!this.chatList.noteMessage(message.chatID, previewOf(message), message.createdAt || Date.now())) this.refreshChats();
  }

  // MARK: conversation

  async openChat(chatID) {
    let chat = this.chatList.get(chatID);
    if (!chat) {
      await this.refreshChats();
      chat = this.chatList.get(chatID);
    }
    if (!chat) {
      toast('Chat not found.', 'error');
      return;
    }
    this.chatList.setActive(chat.id);
    this.layout.dataset.view = 'chat';
    if (location.hash !== `#chat=${chat.id}` || location.pathname !== '/app') history.replaceState(null, '', `/app#chat=${chat.id}`);
    document.title = `${chat.title} · Messenger`;
    const opening = this.conversation.open(chat);
    $('#composer-input').focus({ preventScroll: true });
    await opening;
  }

  showList() {
    this.layout.dataset.view = 'list';
    this.chatList.setActive(null);
    this.conversation.showEmpty();
    document.title = 'Messenger';
    history.replaceState(null, '', '/app');
    this.chatList.listElement.querySelector('button')?.focus();
  }

  openFromHash() {
    const match = /^#chat=(\d+)$/u.exec(location.hash);
    if (match && Number(match[1]) !== this.conversation.chatID) this.openChat(Number(match[1]));
  }

  /** POST /web-api/chats (L12): the direct chat with a user, created when missing. */
  async openDirectChat(userID) {
    if (userID === this.me.id) {
      toast('Cannot open DM with yourself', 'error');
      return;
    }
    try {
      const { id } = await webApi('/chats', { method: 'POST', json: { with_user_id: userID } });
      if (!this.chatList.get(id)) await this.refreshChats();
      await this.openChat(id);
    } catch (error) {
      toast(error.message || 'Could not open the chat.', 'error');
    }
  }

  // MARK: live updates

  /** Where a chat's subscription resumes: the newest id this page or this device has seen. */
  resumePoint(chatID) {
    if (chatID === this.conversation.chatID && this.conversation.resumeID !== null) return this.conversation.resumeID;
    return this.newestIDs.get(chatID) ?? this.unread.lastKnownID(chatID);
  }

  liveStateChanged(state) {
    const status = $('#connection-status');
    status.dataset.state = state;
    status.textContent = { live: 'Live', connecting: 'Connecting…', offline: 'Offline · checking for messages' }[state] ?? '';
    this.conversation.updatePolling();
    this.scheduleListRefresh();
    if (state === 'live') this.refreshChats().then(() => this.loadPresence());
  }

  /**
   * Who of the direct-chat partners is online now: `online` from GET /users/{id} where the
   * gateway reports it. `presence` events keep it current while the socket is live; this fills
   * in what happened before the socket opened (or while it was down).
   */
  async loadPresence() {
    if (!this.cpp.available || Date.now() - (this.presenceLoadedAt ?? 0) < PRESENCE_RELOAD_MS) return;
    this.presenceLoadedAt = Date.now();
    const partners = this.chatList.sorted().filter((chat) => chat.type === 'direct' && typeof chat.otherID === 'number')
      .slice(0, PRESENCE_LOOKUPS).map((chat) => chat.otherID);
    await Promise.all(partners.map(async (userID) => {
      try {
        const user = await this.cpp.request(`/users/${userID}`);
        if (typeof user.online === 'boolean') this.presence.report(userID, user.online ? 'online' : 'offline');
      } catch {
        // Unknown or hidden user: no dot change.
      }
    }));
  }

  liveMessage(frame) {
    const chatID = frame.chat_id;
    this.newestIDs.set(chatID, Math.max(frame.id, this.newestIDs.get(chatID) ?? 0));
    const message = fromEvent(frame);
    const fromOther = message.senderID !== this.me.id;
    if (fromOther) this.presence.active(message.senderID);
    const onScreen = this.conversation.chatID === chatID;
    if (onScreen) this.conversation.receive(frame);
    if (fromOther && (!onScreen || document.visibilityState !== 'visible')) {
      this.unread.received(chatID, message.id);
      this.notify(chatID, message);
    }
    if (!this.chatList.noteMessage(chatID, previewOf(message), message.createdAt || Date.now())) this.refreshChats();
  }

  liveTyping(frame) {
    this.presence.active(frame.user_id);
    if (frame.chat_id === this.conversation.chatID) this.conversation.showTyping(frame.user_id);
  }

  /** The server would not replay a chat's backlog (too much missed): read it over HTTP. */
  async resync(chatID) {
    if (chatID === this.conversation.chatID) await this.openChat(chatID);
    else {
      this.unread.markUnread(chatID);
      await this.refreshChats();
    }
  }

  removedFrom(chatID) {
    if (chatID === this.conversation.chatID) this.showList();
    this.chatList.remove(chatID);
  }

  notify(chatID, message) {
    if (!this.notificationsEnabled || document.visibilityState === 'visible') return;
    if (!('Notification' in window) || Notification.permission !== 'granted') return;
    const chat = this.chatList.get(chatID);
    new Notification(chat?.title ?? 'New message', { body: previewOf(message), tag: `chat-${chatID}` });
  }

  /** Gets a fresh token from the session shortly before the current one expires. */
  scheduleTokenRenewal() {
    clearTimeout(this.tokenTimer);
    const left = this.tokens.secondsLeft();
    const delay = left > 0 ? Math.max(5, left - 60) * 1000 : 60_000;
    this.tokenTimer = setTimeout(async () => {
      const before = this.tokens.current();
      const token = await this.tokens.renew();
      if (token && token !== before) this.live.reauthenticate(token);
      this.scheduleTokenRenewal();
    }, Math.min(delay, 2 ** 31 - 1));
  }

  // MARK: deep links

  async followDeepLink() {
    const link = currentDeepLink();
    if (!link) return;
    try {
      switch (link.kind) {
        case 'dm':
          await this.deepLinkDM(link.value);
          break;
        case 'profile':
          await this.showProfile((user) => user.username.toLowerCase() === link.value.toLowerCase(), `@${link.value}`, link.value);
          break;
        case 'profile-id':
          await this.showProfile((user) => String(user.id) === link.value, `#${link.value}`);
          break;
        case 'join':
          await this.dialogs.join.show(link.value);
          break;
        case 'channel':
          await this.deepLinkChannel(link.value);
          break;
        default:
          break;
      }
    } catch (error) {
      toast(error.message || 'Could not open the link.', 'error');
    }
    if (location.pathname !== '/app' && this.conversation.chatID === null) history.replaceState(null, '', '/app');
  }

  async deepLinkDM(value) {
    if (value.startsWith('@')) {
      const name = value.slice(1);
      if (name.toLowerCase() === this.me.username.toLowerCase()) {
        this.dialogs.user.show({ ...this.me });
        return;
      }
      // Usernames are unique ignoring ASCII case (legacy-api.md §5.1), so this finds one user.
      const users = await webApi('/users');
      const user = users.find((candidate) => candidate.username === name)
        ?? users.find((candidate) => candidate.username.toLowerCase() === name.toLowerCase());
      if (!user) {
        toast('User not found', 'error');
        return;
      }
      await this.openDirectChat(user.id);
      return;
    }
    if (value === String(this.me.id)) {
      toast('Cannot open DM with yourself', 'error');
      return;
    }
    await this.openDirectChat(Number(value));
  }

  /** Shows a user's card: the JWT API's public profile when available, else the legacy list. */
  async showProfile(matches, label, username) {
    if (matches({ ...this.me })) {
      this.dialogs.user.show({ ...this.me });
      return;
    }
    const user = (await webApi('/users')).find(matches);
    if (!user && !username) {
      this.dialogs.user.notFound(label);
      return;
    }
    let full = user;
    if (this.cpp.available) {
      try {
        full = { ...(await this.cpp.request(`/users/by-username/${encodeURIComponent(user?.username ?? username)}`)), ...(user ?? {}) };
      } catch {
        // The legacy summary is enough for the card.
      }
    }
    if (full) this.dialogs.user.show(full);
    else this.dialogs.user.notFound(label);
  }

  async deepLinkChannel(name) {
    const chat = await this.cpp.request(`/chats/by-name/${encodeURIComponent(name)}`);
    if (this.chatList.get(chat.id)) await this.openChat(chat.id);
    else toast(`You are not a member of ${chat.title || name}. Ask for an invite link.`, 'info');
  }
}

const app = new App();
app.start().catch((error) => {
  console.error(error);
  toast('Something went wrong. Reload the page.', 'error');
});
// For debugging from the console only; nothing reads it.
window.messengerApp = app;
