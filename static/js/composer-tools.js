// The composer's sticker picker (stickers from GET /web-api/stickers, L5) and voice recorder
// (MediaRecorder; a file chooser where the browser has no microphone API, as in L10).

import { h, safeURL, toast } from './dom.js';

export class StickerPicker {
  constructor(conversation, stickers) {
    this.conversation = conversation;
    this.stickers = stickers;
    this.button = document.getElementById('sticker-button');
    this.panel = document.getElementById('sticker-panel');
    this.button.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
        this.button.focus();
        return;
      }
      const buttons = [...this.panel.querySelectorAll('button')];
      const index = buttons.indexOf(document.activeElement);
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (step === undefined || index < 0) return;
      event.preventDefault();
      buttons[(index + step + buttons.length) % buttons.length].focus();
    });
  }

  render() {
    const items = [...this.stickers.values()].map((sticker) => {
      const src = safeURL(sticker.url);
      return h('button', {
        type: 'button', class: 'sticker-choice', 'aria-label': sticker.label, title: sticker.label,
        dataset: { stickerId: String(sticker.id) },
        onclick: () => {
          this.close();
          this.conversation.sendSticker(sticker);
          document.getElementById('composer-input').focus();
        },
      }, src ? h('img', { src, alt: '', width: 48, height: 48, loading: 'lazy' }) : sticker.label);
    });
    this.panel.replaceChildren(...(items.length ? items : [h('p', { class: 'empty', text: 'No stickers.' })]));
  }

  open() {
    this.render();
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.panel.querySelector('button')?.focus();
  }

  close() {
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
  }
}

/** The file name the upload gets: its extension must match what the recorder produced. */
export function recordingFileName(mimeType) {
  if (/ogg/iu.test(mimeType)) return 'voice.ogg';
  if (/mp4|m4a|aac/iu.test(mimeType)) return 'voice.m4a';
  return 'voice.webm';
}

export class VoiceRecorder {
  constructor(conversation) {
    this.conversation = conversation;
    this.button = document.getElementById('voice-button');
    this.fileInput = document.getElementById('voice-file');
    this.recorder = null;
    this.startedAt = 0;
    this.button.addEventListener('click', () => this.toggle());
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files?.[0];
      if (file) this.conversation.sendVoice(file, file.name, 0);
      this.fileInput.value = '';
    });
  }

  get canRecord() {
    return typeof MediaRecorder !== 'undefined' && Boolean(navigator.mediaDevices?.getUserMedia);
  }

  async toggle() {
    if (this.recorder) {
      this.recorder.stop();
      return;
    }
    if (!this.canRecord) {
      this.fileInput.click();
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      toast('No microphone access: choose an audio file instead.', 'error');
      this.fileInput.click();
      return;
    }
    const chunks = [];
    const recorder = new MediaRecorder(stream);
    this.recorder = recorder;
    this.startedAt = performance.now();
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    recorder.addEventListener('stop', () => {
      for (const track of stream.getTracks()) track.stop();
      this.recorder = null;
      this.setRecording(false);
      const seconds = (performance.now() - this.startedAt) / 1000;
      const type = recorder.mimeType || 'audio/webm';
      if (chunks.length && seconds >= 0.5) this.conversation.sendVoice(new Blob(chunks, { type }), recordingFileName(type), seconds);
    });
    recorder.start();
    this.setRecording(true);
  }

  setRecording(recording) {
    this.button.setAttribute('aria-pressed', String(recording));
    this.button.setAttribute('aria-label', recording ? 'Stop recording and send' : 'Record a voice message');
    this.button.classList.toggle('recording', recording);
  }
}
