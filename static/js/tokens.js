// The api_cpp access token (`cpp_token`) the legacy login hands out (legacy-api.md §6, §7.1).
// It lives in localStorage under `cpp_token`, as the legacy SPA kept it. Unlike the legacy SPA
// (legacy-api.md §14 items 3 and 19) this one only uses a token whose subject is the signed-in
// user, drops it on logout, and asks the session for a fresh one (GET /web-api/token) when the
// stored one is missing, expired or belongs to someone else.

import { webApi } from './api.js';

const STORAGE_KEY = 'cpp_token';
/** Seconds before `exp` at which a token counts as expired (clock skew, request time). */
const EXPIRY_MARGIN = 30;

/** The claims of a JWT, or null when it is not one. Not verified: the server does that. */
export function jwtClaims(token) {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/gu, '+').replace(/_/gu, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

export function storeLoginToken(token) {
  // A login that returns no token must not leave an older user's token behind (§14 item 3).
  if (typeof token === 'string' && token) localStorage.setItem(STORAGE_KEY, token);
  else localStorage.removeItem(STORAGE_KEY);
}

export function forgetToken() {
  localStorage.removeItem(STORAGE_KEY);
}

export class TokenStore extends EventTarget {
  constructor(userID) {
    super();
    this.userID = userID;
  }

  /** The stored token if it is usable for this user right now, else null. */
  current() {
    const token = localStorage.getItem(STORAGE_KEY);
    return this.isUsable(token) ? token : null;
  }

  isUsable(token) {
    const claims = jwtClaims(token);
    if (!claims || claims.type !== 'access') return false;
    if (String(claims.sub) !== String(this.userID)) return false;
    return typeof claims.exp === 'number' && claims.exp - EXPIRY_MARGIN > Date.now() / 1000;
  }

  /** Seconds until the current token stops being usable (0 when there is none). */
  secondsLeft() {
    const claims = jwtClaims(this.current());
    return claims ? Math.max(0, claims.exp - EXPIRY_MARGIN - Date.now() / 1000) : 0;
  }

  /** Makes sure a usable token is stored, asking the session for one if needed. */
  async ensure() {
    if (this.current()) return this.current();
    return this.renew();
  }

  /** Asks the session (GET /web-api/token) for its token; keeps it when it is usable. */
  async renew() {
    try {
      const body = await webApi('/token', { allow401: true });
      const token = body?.cpp_token;
      if (this.isUsable(token) && token !== localStorage.getItem(STORAGE_KEY)) {
        localStorage.setItem(STORAGE_KEY, token);
        this.dispatchEvent(new Event('change'));
      }
    } catch {
      // No session token route, or no token: the SPA works on the legacy API alone.
    }
    return this.current();
  }

  /** The server refused `token` (401): forget it, as the legacy SPA did. */
  reject(token) {
    if (localStorage.getItem(STORAGE_KEY) === token) {
      localStorage.removeItem(STORAGE_KEY);
      this.dispatchEvent(new Event('change'));
    }
  }
}
