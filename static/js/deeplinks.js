// Deep links (legacy-api.md §3.1, §7.4): the gateway puts `data-deeplink` on <body> for
// /@name, /u/<id>, /dm/<id>, /dm/@name, /join/<token> and /c/<name>. When the attribute is
// missing (a page served without the template step), the path itself is read the same way.

/** The deep link of this page: `{ kind, value }` or null. */
export function currentDeepLink(body = document.body, path = location.pathname) {
  const attribute = body.dataset.deeplink;
  if (attribute) {
    const colon = attribute.indexOf(':');
    if (colon > 0) return { kind: attribute.slice(0, colon), value: attribute.slice(colon + 1) };
  }
  return fromPath(path);
}

function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function fromPath(path) {
  let match;
  if ((match = /^\/dm\/@([^/]+)\/?$/u.exec(path))) return link('dm', `@${decode(match[1])}`);
  if ((match = /^\/dm\/(\d+)\/?$/u.exec(path))) return link('dm', String(BigInt(match[1])));
  if ((match = /^\/u\/(\d+)\/?$/u.exec(path))) return link('profile-id', String(BigInt(match[1])));
  if ((match = /^\/@([^/]+)\/?$/u.exec(path))) return link('profile', decode(match[1]));
  if ((match = /^\/join\/([^/]+)\/?$/u.exec(path))) return link('join', decode(match[1]));
  if ((match = /^\/c\/([^/]+)\/?$/u.exec(path))) return link('channel', decode(match[1]));
  return null;
}

function link(kind, value) {
  return value === null || value === 'null' || value === '@null' ? null : { kind, value };
}
