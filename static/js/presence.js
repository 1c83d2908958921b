// Who is online, for the dots in the chat list. Sources, strongest first: the server's
// `presence` events (jwt-api.md §10.1), an `other_online` field on chat list items when the
// server adds one, and activity seen live (a typing event or a message from that user), which
// proves the user had the app open in the last few minutes.

const ACTIVITY_WINDOW_MS = 3 * 60_000;

export class PresenceTracker extends EventTarget {
  constructor() {
    super();
    this.reported = new Map(); // user id -> 'online' | 'offline' from the server
    this.activeAt = new Map(); // user id -> ms of the last live activity
    this.timer = setInterval(() => this.changed(), 60_000);
  }

  isOnline(userID) {
    if (userID === null || userID === undefined) return false;
    const reported = this.reported.get(userID);
    if (reported) return reported === 'online';
    return Date.now() - (this.activeAt.get(userID) ?? 0) < ACTIVITY_WINDOW_MS;
  }

  report(userID, status) {
    if (typeof userID !== 'number') return;
    this.reported.set(userID, status === 'online' ? 'online' : 'offline');
    this.changed();
  }

  active(userID) {
    if (typeof userID !== 'number') return;
    const wasOnline = this.isOnline(userID);
    this.activeAt.set(userID, Date.now());
    if (this.reported.get(userID) === 'offline') this.reported.delete(userID);
    if (!wasOnline) this.changed();
  }

  changed() {
    this.dispatchEvent(new Event('change'));
  }
}
