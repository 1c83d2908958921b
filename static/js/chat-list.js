// The chat list: legacy direct chats (GET /web-api/chats, legacy-api.md §5.7) merged with the
// JWT API's chats (GET /chats, jwt-api.md §3.3.2), which adds groups and channels. Both APIs
// share one chat id space in this gateway, so one id is one chat; the legacy item wins for
// direct chats (it carries the legacy avatar URL and the typed preview). Ordered by last
// activity, newest first.

import { h, avatar } from './dom.js';
import { parseTimestamp, shortTime, fullTime } from './time.js';

/**
 * @typedef {object} Chat
 * @property {number} id
 * @property {'direct'|'group'|'channel'} type
 * @property {string} title
 * @property {number|null} otherID
 * @property {string|null} otherUsername
 * @property {string|null} avatarURL
 * @property {string} preview
 * @property {number} lastAt   ms
 * @property {boolean|null} otherOnline  from the server when it says so
 */

export function chatFromLegacy(item) {
  return {
    id: item.id,
    type: 'direct',
    title: item.other_display_name || item.other_username || 'Unknown user',
    otherID: item.other_id ?? null,
    otherUsername: item.other_username ?? null,
    avatarURL: item.other_avatar_url ?? null,
    preview: item.last_preview ?? '',
    lastAt: parseTimestamp(item.last_at),
    otherOnline: typeof item.other_online === 'boolean' ? item.other_online : null,
  };
}

export function chatFromJWT(item) {
  const direct = item.type === 'direct';
  const title = direct
    ? item.other_display_name || item.other_username || 'Direct chat'
    : item.title || item.name || (item.type === 'channel' ? 'Channel' : 'Group');
  return {
    id: item.id,
    type: item.type === 'channel' || item.type === 'group' ? item.type : 'direct',
    title,
    otherID: item.other_user_id ?? null,
    otherUsername: item.other_username ?? null,
    avatarURL: item.other_avatar_url ?? null,
    preview: item.last_preview ?? item.last_message ?? '',
    lastAt: parseTimestamp(item.last_at) || parseTimestamp(item.updated_at),
    otherOnline: typeof item.other_online === 'boolean' ? item.other_online : null,
  };
}

export class ChatList extends EventTarget {
  /**
   * @param {HTMLUListElement} listElement
   * @param {HTMLElement} emptyElement
   * @param {{ unread: import('./unread.js').UnreadTracker, presence: import('./presence.js').PresenceTracker }} trackers
   */
  constructor(listElement, emptyElement, { unread, presence }) {
    super();
    this.listElement = listElement;
    this.emptyElement = emptyElement;
    this.unread = unread;
    this.presence = presence;
    /** @type {Map<number, Chat>} */
    this.chats = new Map();
    this.activeID = null;
    this.loaded = false;
    listElement.addEventListener('keydown', (event) => this.moveFocus(event));
  }

  get(chatID) {
    return this.chats.get(chatID) ?? null;
  }

  /** Replaces the list with a fresh merge of both sources (either may be null: unavailable). */
  replace(legacyItems, jwtItems) {
    const merged = new Map();
    for (const item of jwtItems ?? []) merged.set(item.id, chatFromJWT(item));
    for (const item of legacyItems ?? []) {
      const chat = chatFromLegacy(item);
      const known = merged.get(chat.id);
      // Keep the newer activity of the two (a JWT-only message may be newer than legacy's view).
      if (known) chat.lastAt = Math.max(chat.lastAt, known.lastAt);
      merged.set(chat.id, chat);
    }
    // A source that failed keeps its chats rather than making them vanish.
    if (legacyItems === null || jwtItems === null) {
      for (const [id, chat] of this.chats) {
        if (!merged.has(id) && (jwtItems === null || (legacyItems === null && chat.type === 'direct'))) merged.set(id, chat);
      }
    }
    // Previews set from live messages are newer than what a slower list request saw.
    for (const [id, chat] of merged) {
      const current = this.chats.get(id);
      if (current && current.lastAt > chat.lastAt) {
        chat.lastAt = current.lastAt;
        chat.preview = current.preview;
      }
    }
    this.chats = merged;
    this.loaded = true;
    this.render();
  }

  /** Adds or updates one chat (e.g. one just created). */
  upsert(chat) {
    const current = this.chats.get(chat.id);
    this.chats.set(chat.id, current ? { ...current, ...chat, lastAt: Math.max(current.lastAt, chat.lastAt) } : chat);
    this.render();
  }

  remove(chatID) {
    if (this.chats.delete(chatID)) this.render();
  }

  /** A message was sent or received: the chat moves up with a new preview. */
  noteMessage(chatID, preview, at) {
    const chat = this.chats.get(chatID);
    if (!chat) return false;
    if (at >= chat.lastAt) {
      chat.lastAt = at;
      chat.preview = preview;
    }
    this.render();
    return true;
  }

  setActive(chatID) {
    this.activeID = chatID;
    this.render();
  }

  sorted() {
    return [...this.chats.values()].sort((a, b) => b.lastAt - a.lastAt || b.id - a.id);
  }

  render() {
    const focusedID = document.activeElement?.closest?.('[data-chat-id]')?.dataset.chatId;
    const items = this.sorted().map((chat) => this.item(chat));
    this.listElement.replaceChildren(...items);
    this.emptyElement.hidden = !this.loaded || items.length > 0;
    if (focusedID) this.listElement.querySelector(`[data-chat-id="${CSS.escape(focusedID)}"] button`)?.focus();
  }

  item(chat) {
    const unread = this.unread.count(chat.id);
    const online = chat.type === 'direct' && (chat.otherOnline ?? this.presence.isOnline(chat.otherID));
    const active = chat.id === this.activeID;
    const label = [
      chat.title,
      chat.type === 'direct' ? (online ? 'online' : null) : chat.type,
      unread ? `${unread} unread` : null,
      chat.preview || null,
    ].filter(Boolean).join(', ');
    const avatarBox = h('span', { class: 'chat-avatar' },
      chat.type === 'direct' ? avatar(chat.avatarURL, chat.title) : h('span', { class: 'avatar avatar-md group-avatar', 'aria-hidden': 'true', text: chat.type === 'channel' ? '#' : '👥' }),
      chat.type === 'direct' ? h('span', { class: 'presence-dot', dataset: { online: String(online) }, 'aria-hidden': 'true' }) : null);
    const button = h('button', {
      type: 'button',
      class: 'chat-item',
      'aria-current': active ? 'true' : null,
      'aria-label': label,
      onclick: () => this.dispatchEvent(new CustomEvent('select', { detail: chat.id })),
    },
    avatarBox,
    h('span', { class: 'chat-main' },
      h('span', { class: 'chat-title-row' },
        h('span', { class: 'chat-title', text: chat.title }),
        h('time', { class: 'chat-time', datetime: chat.lastAt ? new Date(chat.lastAt).toISOString() : null, title: fullTime(chat.lastAt), text: shortTime(chat.lastAt) })),
      h('span', { class: 'chat-preview-row' },
        h('span', { class: 'chat-preview', text: chat.preview || '' }),
        unread ? h('span', { class: 'unread-badge', 'aria-hidden': 'true', text: unread > 99 ? '99+' : String(unread) }) : null)));
    return h('li', { dataset: { chatId: String(chat.id), type: chat.type }, class: active ? 'active' : null }, button);
  }

  /** Arrow keys move between chats; Home/End jump. */
  moveFocus(event) {
    const buttons = [...this.listElement.querySelectorAll('button.chat-item')];
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    const target = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    buttons[Math.max(0, Math.min(buttons.length - 1, target))]?.focus();
  }
}
