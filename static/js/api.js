// The two backends the SPA talks to:
// - the legacy session API under /web-api/* (cookie `session`, legacy-api.md §5 and §7.2);
// - the JWT API (bearer `cpp_token`, jwt-api.md) for what only it offers: groups, history paging,
//   files and the /ws WebSocket.

export class HTTPError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

async function readJSON(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function requestInit(method, json, form, headers) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (form) {
    init.body = form; // the browser sets the multipart boundary
  } else if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  return init;
}

let unauthorisedHandler = () => location.assign('/login');

/** What happens on a legacy 401 (default: go to /login, legacy-api.md §7.1). */
export function onLegacyUnauthorised(handler) {
  unauthorisedHandler = handler;
}

/** A call to the legacy API: `path` is relative to /web-api. Resolves to the parsed JSON. */
export async function webApi(path, { method = 'GET', json, form, allow401 = false } = {}) {
  const response = await fetch(`/web-api${path}`, requestInit(method, json, form, {}));
  const body = await readJSON(response);
  if (response.status === 401 && !allow401) unauthorisedHandler();
  if (!response.ok) {
    throw new HTTPError(response.status, body?.error ?? `Request failed (${response.status})`, body);
  }
  return body;
}

/** The JWT API, reached at `base` (the page's data-cpp-api, or this origin) with the bearer token. */
export class CppAPI {
  constructor(base, tokens) {
    this.base = base.replace(/\/+$/u, '');
    this.tokens = tokens;
  }

  get available() {
    return this.tokens.current() !== null;
  }

  async request(path, { method = 'GET', json, form, headers = {} } = {}) {
    const token = this.tokens.current();
    if (!token) throw new HTTPError(0, 'The new API is not available for this session.', null);
    const init = requestInit(method, json, form, { ...headers, Authorization: `Bearer ${token}` });
    init.credentials = 'omit';
    const response = await fetch(`${this.base}${path}`, init);
    const body = await readJSON(response);
    if (response.status === 401) this.tokens.reject(token);
    if (!response.ok) {
      throw new HTTPError(response.status, body?.error ?? `Request failed (${response.status})`, body);
    }
    return body;
  }

  /** The WebSocket URL of this API. */
  socketURL() {
    const url = new URL(`${this.base || location.origin}/ws`, location.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
  }
}
