// The modal dialogs: new direct chat, new group, profile and settings, a user's card (deep
// links), and joining by invite. Native <dialog> gives focus trapping and Escape to close.

import { h, avatar, toast } from './dom.js';
import { webApi } from './api.js';
import { applyTheme, normaliseTheme } from './theme.js';

function wireClose(dialog) {
  for (const button of dialog.querySelectorAll('[data-close]')) button.addEventListener('click', () => dialog.close('cancel'));
}

/** Users matching `query` in username or display name, ignoring case. */
export function filterUsers(users, query) {
  const needle = query.trim().toLocaleLowerCase();
  if (!needle) return users;
  return users.filter((user) => user.username.toLocaleLowerCase().includes(needle)
    || (user.display_name ?? '').toLocaleLowerCase().includes(needle));
}

function userLabel(user) {
  return h('span', { class: 'user-label' },
    avatar(user.avatar_url, user.display_name || user.username, 'sm'),
    h('span', { class: 'user-names' },
      h('span', { class: 'user-display-name', text: user.display_name || user.username }),
      h('span', { class: 'user-username', text: `@${user.username}` })));
}

/** "New chat": find a user (GET /web-api/users, L11) and open the direct chat with them. */
export class NewChatDialog {
  constructor(app) {
    this.app = app;
    this.dialog = document.getElementById('new-chat-dialog');
    this.search = document.getElementById('new-chat-search');
    this.results = document.getElementById('new-chat-results');
    this.users = [];
    this.search.addEventListener('input', () => this.render());
    this.search.addEventListener('keydown', (event) => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        this.results.querySelector('button')?.focus();
      }
    });
    this.results.addEventListener('keydown', (event) => {
      const buttons = [...this.results.querySelectorAll('button')];
      const index = buttons.indexOf(document.activeElement);
      if (event.key === 'ArrowDown') buttons[index + 1]?.focus();
      else if (event.key === 'ArrowUp') (buttons[index - 1] ?? this.search).focus();
      else return;
      event.preventDefault();
    });
  }

  async open() {
    this.search.value = '';
    this.results.replaceChildren(h('li', { class: 'empty', text: 'Loading…' }));
    this.dialog.showModal();
    this.search.focus();
    try {
      this.users = await webApi('/users');
      this.render();
    } catch (error) {
      this.results.replaceChildren(h('li', { class: 'form-error', text: error.message }));
    }
  }

  render() {
    const matches = filterUsers(this.users, this.search.value).slice(0, 100);
    if (matches.length === 0) {
      this.results.replaceChildren(h('li', { class: 'empty', text: 'No users found.' }));
      return;
    }
    this.results.replaceChildren(...matches.map((user) => h('li', { dataset: { userId: String(user.id), username: user.username } },
      h('button', { type: 'button', class: 'user-result', onclick: () => this.pick(user) }, userLabel(user)))));
  }

  async pick(user) {
    this.dialog.close();
    await this.app.openDirectChat(user.id);
  }
}

/** "New group": POST /chats (JWT API, C6) with the picked members. */
export class NewGroupDialog {
  constructor(app) {
    this.app = app;
    this.dialog = document.getElementById('new-group-dialog');
    this.form = document.getElementById('new-group-form');
    this.search = document.getElementById('group-search');
    this.members = document.getElementById('group-members');
    this.error = document.getElementById('group-error');
    this.users = [];
    this.picked = new Set();
    wireClose(this.dialog);
    this.search.addEventListener('input', () => this.render());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.create();
    });
  }

  async open() {
    if (!this.app.cpp.available && !(await this.app.tokens.ensure())) {
      toast('Groups need the new API, which is not available for this session.', 'error');
      return;
    }
    this.form.reset();
    this.picked.clear();
    this.error.textContent = '';
    this.dialog.showModal();
    this.form.title.focus();
    try {
      this.users = await webApi('/users');
      this.render();
    } catch (error) {
      this.error.textContent = error.message;
    }
  }

  render() {
    const matches = filterUsers(this.users, this.search.value).slice(0, 200);
    this.members.replaceChildren(...matches.map((user) => {
      const box = h('input', { type: 'checkbox', id: `member-${user.id}`, value: String(user.id), checked: this.picked.has(user.id) });
      box.addEventListener('change', () => (box.checked ? this.picked.add(user.id) : this.picked.delete(user.id)));
      return h('li', {}, h('label', { for: `member-${user.id}`, class: 'member-option' }, box, userLabel(user)));
    }));
  }

  async create() {
    const title = this.form.title.value.trim();
    if (!title) {
      this.error.textContent = 'A group needs a title.';
      this.form.title.focus();
      return;
    }
    try {
      const created = await this.app.cpp.request('/chats', {
        method: 'POST',
        json: { type: 'group', title, description: this.form.description.value.trim(), member_ids: [...this.picked] },
      });
      this.dialog.close();
      await this.app.refreshChats();
      this.app.openChat(created.id);
    } catch (error) {
      this.error.textContent = error.message;
    }
  }
}

/** Profile and settings (L13-L16) with the avatar upload (L14) and logout (L17). */
export class ProfileDialog {
  constructor(app) {
    this.app = app;
    this.dialog = document.getElementById('profile-dialog');
    this.form = document.getElementById('profile-form');
    this.error = document.getElementById('profile-error');
    this.avatarBox = document.getElementById('profile-avatar');
    this.avatarInput = document.getElementById('avatar-input');
    this.settings = null;
    this.savedTheme = 'light';
    wireClose(this.dialog);
    this.dialog.addEventListener('close', () => {
      if (this.dialog.returnValue !== 'saved') applyTheme(this.savedTheme);
    });
    for (const radio of this.form.querySelectorAll('input[name="theme"]')) {
      radio.addEventListener('change', () => applyTheme(radio.value)); // preview
    }
    this.avatarInput.addEventListener('change', () => this.uploadAvatar());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.save();
    });
    document.getElementById('logout-button').addEventListener('click', () => this.app.logout());
  }

  async open() {
    this.error.textContent = '';
    this.dialog.returnValue = '';
    this.savedTheme = document.body.dataset.theme;
    this.dialog.showModal();
    try {
      const [profile, settings] = await Promise.all([webApi('/profile'), webApi('/settings')]);
      this.settings = settings;
      this.savedTheme = normaliseTheme(settings.theme);
      document.getElementById('profile-username').textContent = profile.username;
      this.form.display_name.value = profile.display_name ?? '';
      this.form.bio.value = profile.bio ?? '';
      this.form.querySelector(`input[name="theme"][value="${this.savedTheme}"]`).checked = true;
      this.form.notifications_enabled.checked = Boolean(settings.notifications_enabled);
      this.avatarBox.replaceChildren(avatar(profile.avatar_url, profile.display_name, 'lg'));
      this.form.display_name.focus();
    } catch (error) {
      this.error.textContent = error.message;
    }
  }

  async uploadAvatar() {
    const file = this.avatarInput.files?.[0];
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    this.error.textContent = '';
    try {
      const body = await webApi('/upload/avatar', { method: 'POST', form });
      // The avatar URL is stable (it redirects to the current image); a query defeats caches.
      const url = `${body.avatar_url}?v=${Date.now()}`;
      this.avatarBox.replaceChildren(avatar(url, this.app.me.display_name, 'lg'));
      this.app.updateMe({ avatar_url: url });
      toast('Avatar updated.');
    } catch (error) {
      this.error.textContent = error.message;
    } finally {
      this.avatarInput.value = '';
    }
  }

  async save() {
    const theme = this.form.querySelector('input[name="theme"]:checked')?.value ?? 'light';
    this.error.textContent = '';
    try {
      const [profile] = await Promise.all([
        webApi('/profile', { method: 'PUT', json: { display_name: this.form.display_name.value.trim(), bio: this.form.bio.value.trim() } }),
        webApi('/settings', {
          method: 'PUT',
          json: { theme, notifications_enabled: this.form.notifications_enabled.checked, language: this.settings?.language ?? 'en' },
        }),
      ]);
      this.savedTheme = applyTheme(theme);
      this.app.updateMe({ display_name: profile.display_name });
      if (this.form.notifications_enabled.checked && 'Notification' in window && Notification.permission === 'default') {
        Notification.requestPermission().catch(() => {});
      }
      this.app.notificationsEnabled = this.form.notifications_enabled.checked;
      this.dialog.close('saved');
      toast('Saved.');
    } catch (error) {
      this.error.textContent = error.message;
    }
  }
}

/** A user's card, for the profile deep links: name, username, bio and a "Message" button. */
export class UserDialog {
  constructor(app) {
    this.app = app;
    this.dialog = document.getElementById('user-dialog');
    this.user = null;
    document.getElementById('user-dialog-message').addEventListener('click', async () => {
      this.dialog.close();
      if (this.user) await this.app.openDirectChat(this.user.id);
    });
  }

  show(user) {
    this.user = user;
    const name = user.display_name || user.username;
    document.getElementById('user-dialog-avatar').replaceChildren(avatar(user.avatar_url, name, 'lg'));
    document.getElementById('user-dialog-name').textContent = name;
    document.getElementById('user-dialog-username').textContent = `@${user.username}`;
    document.getElementById('user-dialog-bio').textContent = user.bio ?? '';
    document.getElementById('user-dialog-error').textContent = '';
    document.getElementById('user-dialog-message').hidden = user.id === this.app.me.id || typeof user.id !== 'number';
    this.dialog.showModal();
  }

  notFound(what) {
    this.user = null;
    document.getElementById('user-dialog-avatar').replaceChildren();
    document.getElementById('user-dialog-name').textContent = 'User not found';
    document.getElementById('user-dialog-username').textContent = what;
    document.getElementById('user-dialog-bio').textContent = '';
    document.getElementById('user-dialog-message').hidden = true;
    this.dialog.showModal();
  }
}

/** Joining a group or channel from an invite link (/join/<token>: C9, C10). */
export class JoinDialog {
  constructor(app) {
    this.app = app;
    this.dialog = document.getElementById('join-dialog');
    this.button = document.getElementById('join-button');
    this.token = null;
    this.button.addEventListener('click', () => this.join());
  }

  async show(token) {
    this.token = token;
    const title = document.getElementById('join-title');
    const details = document.getElementById('join-details');
    const error = document.getElementById('join-error');
    document.getElementById('join-description').textContent = '';
    error.textContent = '';
    this.button.hidden = true;
    title.textContent = 'Invitation';
    details.textContent = 'Loading…';
    this.dialog.showModal();
    try {
      const preview = await this.app.cpp.request(`/invites/${encodeURIComponent(token)}/preview`);
      title.textContent = preview.title || (preview.type === 'channel' ? 'Channel' : 'Group');
      details.textContent = `${preview.type === 'channel' ? 'Channel' : 'Group'} · ${preview.member_count} member${preview.member_count === 1 ? '' : 's'}`;
      document.getElementById('join-description').textContent = preview.description ?? '';
      this.button.hidden = false;
      this.button.focus();
    } catch (failure) {
      details.textContent = '';
      error.textContent = failure.status === 410 ? 'This invitation has been revoked.' : 'Invitation not found.';
    }
  }

  async join() {
    try {
      const result = await this.app.cpp.request(`/invites/${encodeURIComponent(this.token)}/join`, { method: 'POST' });
      this.dialog.close();
      await this.app.refreshChats();
      this.app.openChat(result.chat_id);
    } catch (failure) {
      document.getElementById('join-error').textContent = failure.message;
    }
  }
}
