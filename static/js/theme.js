// Light/dark theme: `data-theme` on <body> (legacy-api.md §3.3), driven by the user's `theme`
// setting. The last applied theme is cached in localStorage so pages paint in it before the
// settings request answers.

const CACHE_KEY = 'spa.theme';

export function normaliseTheme(theme) {
  return theme === 'dark' ? 'dark' : 'light';
}

export function applyTheme(theme) {
  const value = normaliseTheme(theme);
  document.body.dataset.theme = value;
  document.documentElement.style.colorScheme = value;
  localStorage.setItem(CACHE_KEY, value);
  return value;
}

export function applyCachedTheme() {
  const cached = localStorage.getItem(CACHE_KEY);
  if (cached) applyTheme(cached);
}
