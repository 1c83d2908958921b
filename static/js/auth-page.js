// The login and register pages (legacy-api.md §7.2 L1/L2): POST the form as JSON, keep the
// returned `cpp_token` for the JWT API, then go to /app — or back to the deep link the user
// was sent here from (`?next=`, §3.2), which the legacy SPA ignored (§14 item 19).

import { storeLoginToken } from './tokens.js';
import { applyCachedTheme } from './theme.js';

/** Page paths a `next` URL may lead back to: the app and its deep links. */
const NEXT_PATHS = /^\/(app|dm\/[^/]+|u\/\d+|@[^/]+|join\/[^/]+|c\/[^/]+)\/?$/u;

/** The same-origin app path named by `?next=`, or /app. */
export function destinationAfterLogin(search = location.search) {
  const next = new URLSearchParams(search).get('next');
  if (!next) return '/app';
  try {
    const url = new URL(next, location.origin);
    // The gateway writes `http://<Host>…` even behind TLS, so only the host must match.
    if (url.host !== location.host || !NEXT_PATHS.test(url.pathname)) return '/app';
    return url.pathname + url.search;
  } catch {
    return '/app';
  }
}

function start() {
  applyCachedTheme();
  const form = document.getElementById('auth-form');
  const error = document.getElementById('auth-error');
  const submit = document.getElementById('auth-submit');
  const mode = form.dataset.mode === 'register' ? 'register' : 'login';
  const fallback = mode === 'register' ? 'Registration failed.' : 'Login failed.';
  // Keep `next` when switching between the two pages.
  const other = document.querySelector('.auth-switch a');
  if (other && location.search) other.search = location.search;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      error.textContent = 'Username and password required.';
      (username ? form.password : form.username).focus();
      return;
    }
    error.textContent = '';
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const response = await fetch(`/web-api/${mode}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ username, password }),
      });
      let body;
      try {
        body = await response.json();
      } catch {
        error.textContent = 'Network error. Please try again.';
        return;
      }
      if (!response.ok) {
        error.textContent = body?.error || fallback;
        form.password.select();
        return;
      }
      storeLoginToken(body?.cpp_token);
      location.assign(destinationAfterLogin());
    } catch {
      error.textContent = 'Network error. Please try again.';
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

start();
