// One message shape for the conversation view, built from the legacy Message (legacy-api.md
// §5.0), the JWT Message (jwt-api.md §3.0) or a WebSocket `message` event (docs/websocket.md §3).

import { parseTimestamp } from './time.js';

/**
 * @typedef {object} ChatMessage
 * @property {number} id
 * @property {number} chatID
 * @property {number} senderID
 * @property {string|null} senderName   null when not known yet (WebSocket events)
 * @property {string|null} senderAvatar
 * @property {string} type              text | sticker | voice | file | …
 * @property {string} content
 * @property {string|null} stickerURL
 * @property {string|null} stickerLabel
 * @property {number|null} stickerID
 * @property {string|null} attachmentURL
 * @property {string|null} fileName
 * @property {string|null} [mimeType]
 * @property {number|null} durationSeconds
 * @property {number} createdAt         milliseconds
 */

/** `/uploads/voice/x.ogg` for a legacy attachment path, each segment encoded. */
function uploadsURL(path) {
  if (typeof path !== 'string' || path === '') return null;
  return `/uploads/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export function fromLegacy(message) {
  return {
    id: message.id,
    chatID: message.conversation_id,
    senderID: message.from_user_id,
    senderName: message.from_display_name || message.from_username || null,
    senderAvatar: message.from_avatar_url ?? null,
    type: message.message_type || 'text',
    content: message.content ?? '',
    stickerURL: message.sticker_url ?? null,
    stickerLabel: message.sticker_label ?? null,
    stickerID: message.message_type === 'sticker' ? Number.parseInt(message.content, 10) || null : null,
    attachmentURL: uploadsURL(message.attachment_path),
    fileName: null,
    durationSeconds: message.duration_seconds ?? null,
    createdAt: parseTimestamp(message.created_at),
  };
}

export function fromJWT(message) {
  return {
    id: message.id,
    chatID: message.chat_id,
    senderID: message.sender_id,
    senderName: message.sender_display_name || message.sender_username || null,
    senderAvatar: message.sender_avatar_url ?? null,
    type: message.message_type || 'text',
    content: message.content ?? '',
    stickerURL: message.sticker_url ?? null,
    stickerLabel: message.sticker_label ?? null,
    stickerID: message.sticker_id ?? null,
    attachmentURL: message.attachment_url ?? null,
    fileName: message.filename ?? null,
    mimeType: message.mime_type ?? null,
    durationSeconds: message.duration_seconds ?? null,
    createdAt: parseTimestamp(message.created_at),
  };
}

/** A WebSocket `message` event: no sender name, no URLs (the caller fills in what it knows). */
export function fromEvent(event) {
  return {
    id: event.id,
    chatID: event.chat_id,
    senderID: event.sender_id,
    senderName: null,
    senderAvatar: null,
    type: event.message_type || 'text',
    content: event.content ?? '',
    stickerURL: null,
    stickerLabel: null,
    stickerID: event.sticker_id ?? null,
    attachmentURL: null,
    fileName: null,
    durationSeconds: event.duration_seconds ?? null,
    createdAt: parseTimestamp(event.created_at),
    fileID: event.file_id ?? null,
  };
}

/** True when rendering needs data only a full message carries (the attachment URL). */
export function needsDetails(message) {
  return message.attachmentURL === null && (message.type === 'voice' || message.type === 'file' || message.fileID);
}

/** The chat-list preview of a message, worded as the legacy API does (legacy-api.md §5.0). */
export function previewOf(message) {
  if (message.type === 'sticker') return '🎭 Sticker';
  if (message.type === 'voice') return '🎤 Voice message';
  if (message.type === 'file') return `📎 ${message.fileName || 'File'}`;
  return Array.from(message.content ?? '').slice(0, 80).join('');
}
