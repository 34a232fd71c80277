// The album's photos in album order, the selection and the cover; views subscribe to changes.
import { api } from "./api.js";

const page = document.getElementById("album-page");
const listeners = new Set();
let resyncTimer = null;

export const store = {
  slug: page.dataset.album,
  photos: [],
  selected: new Set(),
  anchor: null, // the last photo clicked: the start of a shift-click range
  cover: page.dataset.cover ? Number(page.dataset.cover) : null,

  subscribe(listener) { listeners.add(listener); },
  notify() { for (const listener of listeners) listener(this); },

  byId(id) { return this.photos.find((photo) => photo.id === id); },
  ids() { return this.photos.map((photo) => photo.id); },
  selectedIds() { return this.ids().filter((id) => this.selected.has(id)); },

  async load() {
    const data = await api("GET", `/albums/${encodeURIComponent(this.slug)}/photos`);
    this.replace(data.photos);
  },

  // Reload soon (at most once per `delay`): the server renumbers by taken-at time as photos
  // arrive. A delay of 0 reloads at once.
  resyncSoon(delay = 4000) {
    if (resyncTimer && delay > 0) return;
    window.clearTimeout(resyncTimer);
    resyncTimer = window.setTimeout(() => {
      resyncTimer = null;
      this.load().catch(() => {});
    }, delay);
  },

  replace(photos) {
    this.photos = [...photos];
    const present = new Set(this.ids());
    for (const id of [...this.selected]) if (!present.has(id)) this.selected.delete(id);
    this.notify();
  },

  // Add or update photos (from an upload or an edit), keeping album order.
  put(photos) {
    for (const photo of photos) {
      const at = this.photos.findIndex((known) => known.id === photo.id);
      if (at >= 0) this.photos[at] = photo;
      else this.photos.push(photo);
    }
    this.photos.sort((a, b) => a.number - b.number || a.id - b.id);
    this.notify();
  },

  remove(ids) {
    const gone = new Set(ids);
    this.photos = this.photos.filter((photo) => !gone.has(photo.id));
    for (const id of gone) this.selected.delete(id);
    if (gone.has(this.cover)) this.cover = null;
    this.notify();
  },

  // Show a new order at once (numbered 1..n) while the server saves it.
  arrange(ids) {
    const index = new Map(this.photos.map((photo) => [photo.id, photo]));
    this.photos = ids.map((id, n) => ({ ...index.get(id), number: n + 1 }));
    this.notify();
  },

  select(ids, { add = false } = {}) {
    if (!add) this.selected.clear();
    for (const id of ids) this.selected.add(id);
    this.notify();
  },

  toggle(id) {
    if (this.selected.has(id)) this.selected.delete(id);
    else this.selected.add(id);
    this.anchor = id;
    this.notify();
  },

  // The photos from the anchor to `id`, inclusive, in album order.
  range(id) {
    const ids = this.ids();
    const from = ids.indexOf(this.anchor ?? id);
    const to = ids.indexOf(id);
    return ids.slice(Math.min(from, to), Math.max(from, to) + 1);
  },
};
