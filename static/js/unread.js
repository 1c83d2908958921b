// Unread state per chat, kept on this device (neither API has read receipts: jwt-api.md §3.3.2).
// A chat's count grows with each message from someone else that arrives while the chat is not on
// screen, live or replayed after a reconnect (each id counts once); opening the chat clears it.
// Without the WebSocket, a chat whose last activity is newer than when it was last seen gets a
// badge of 1 until opened.

export class UnreadTracker {
  constructor(userID) {
    this.key = `spa.unread.${userID}`;
    // estimated: chats whose count of 1 came from last activity, not from counted messages.
    this.state = { counts: {}, seenID: {}, seenAt: {}, estimated: {} };
    try {
      const stored = JSON.parse(localStorage.getItem(this.key) ?? 'null');
      if (stored && typeof stored === 'object') Object.assign(this.state, stored);
    } catch {
      // A damaged entry starts over.
    }
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.state));
  }

  count(chatID) {
    return this.state.counts[chatID] ?? 0;
  }

  /** A message from someone else arrived while the chat was not on screen. */
  received(chatID, messageID) {
    if (messageID <= (this.state.seenID[chatID] ?? 0)) return;
    this.state.seenID[chatID] = messageID;
    // The first counted message replaces an estimate that stood for the same news.
    this.state.counts[chatID] = this.state.estimated[chatID] ? 1 : this.count(chatID) + 1;
    delete this.state.estimated[chatID];
    this.save();
  }

  /** Unread without a known count (the server would not replay what was missed). */
  markUnread(chatID) {
    if (this.count(chatID) === 0) {
      this.state.counts[chatID] = 1;
      this.state.estimated[chatID] = true;
    }
    this.save();
  }

  /** The user has seen the chat up to `messageID` at time `at` (ms). */
  seen(chatID, messageID, at = Date.now()) {
    this.state.counts[chatID] = 0;
    delete this.state.estimated[chatID];
    if (messageID) this.state.seenID[chatID] = Math.max(messageID, this.state.seenID[chatID] ?? 0);
    this.state.seenAt[chatID] = Math.max(at, this.state.seenAt[chatID] ?? 0);
    this.save();
  }

  /**
   * Polling fallback: activity newer than the last visit marks the chat unread. A chat seen for
   * the first time counts as read, unless it appeared while the page was open (`isNew`).
   */
  activity(chatID, lastAt, isNew = false) {
    const seenAt = this.state.seenAt[chatID];
    if (seenAt === undefined && !isNew) {
      this.state.seenAt[chatID] = lastAt;
      this.save();
    } else if (lastAt > (seenAt ?? 0) && this.count(chatID) === 0) {
      this.state.counts[chatID] = 1;
      this.state.estimated[chatID] = true;
      this.state.seenAt[chatID] = lastAt;
      this.save();
    }
  }

  /** The newest message id this device knows it has accounted for in a chat. */
  lastKnownID(chatID) {
    return this.state.seenID[chatID] ?? null;
  }
}
