// Culling on the album page: marks from the keyboard (P pick, X reject, U unflag, 0-5 stars,
// 6-9 colour labels) on the current photo or the selection, saved at once and undone with
// Ctrl+Z; the filters (the server's rule: the grid shows the photos its list keeps); stacks
// shown as their top with a count, opened with S, made with G, undone with Shift+G, their
// top chosen with T.
//
// Decisions where the issue was silent:
// - A key marks the selection when the current photo is in it, else the current photo only
//   (Photo Mechanic marks what is tagged; a stray key on an unselected photo marks just it).
// - The same label key again takes the label off, as in Lightroom; U takes the flag off.
// - Undo keeps the last 50 steps of this page (not across reloads); a step is one key.
// - A photo a filter would now hide stays in view until the filters change or the page is
//   reloaded, so marking the photos of a "picks only" view does not make them jump away.
import { nt, t } from "../texts.js";
import { announce, api } from "./api.js";
import { describe, tileOf } from "./grid.js";
import { store } from "./store.js";

const page = document.getElementById("album-page");
const filterForm = document.getElementById("cull-filters");
const LABEL_KEYS = { 6: "red", 7: "yellow", 8: "green", 9: "blue" };
const UNDO_STEPS = 50;
const undo = [];
const opened = new Set(); // stacks shown whole
let visible = null; // ids the filters keep (null: every photo)
let current = null; // the photo the keys act on outside the grid (the loupe's)

export const LABEL_NAMES = {
  red: t("red"), yellow: t("yellow"), green: t("green"), blue: t("blue"), purple: t("purple"),
};

export function setCurrent(id) { current = id; }

function focusedId() {
  const tile = document.activeElement?.closest?.(".tile");
  return tile ? Number(tile.dataset.id) : current;
}

// --- marks ---------------------------------------------------------------------------

function marksOf(photo) {
  return { pick: photo.pick ?? null, rating: photo.rating ?? 0, label: photo.label ?? null };
}

function changeFor(key, photo) {
  const lower = key.toLowerCase();
  if (lower === "p") return { pick: "pick" };
  if (lower === "x") return { pick: "reject" };
  if (lower === "u") return { pick: null };
  if (/^[0-5]$/.test(key)) return { rating: Number(key) };
  if (key in LABEL_KEYS) return { label: photo.label === LABEL_KEYS[key] ? null : LABEL_KEYS[key] };
  return null;
}

// Set `change` on photos at once on the page, then through the API; `before` is kept for
// undo. Saves go one after another, in the order of the keys, and a photo takes the
// server's answer only when no later key is still on its way for it.
let saving = Promise.resolve();
const pending = new Map(); // photo id -> keys not yet saved

export function mark(ids, change, { remember = true } = {}) {
  if (!ids.length) return saving;
  const before = ids.map((id) => ({ id, marks: marksOf(store.byId(id)) }));
  store.put(ids.map((id) => ({ ...store.byId(id), ...change })));
  if (remember) {
    undo.push(before);
    if (undo.length > UNDO_STEPS) undo.shift();
  }
  for (const id of ids) pending.set(id, (pending.get(id) || 0) + 1);
  page.dataset.saved = "false"; // "true" again once every key is saved (tests wait for it)
  saving = saving.then(() => save(ids, change, before, remember));
  return saving;
}

async function save(ids, change, before, remember) {
  let answer = null;
  try {
    answer = ids.length === 1
      ? [(await api("PATCH", `/photos/${ids[0]}`, change)).photo]
      : (await api("PATCH", "/photos", { ids, set: change })).photos;
    announce(says(ids, change));
  } catch (error) {
    answer = before.map(({ id, marks }) => ({ ...store.byId(id), ...marks }));
    if (remember) undo.pop();
    announce(t("The marks were not saved: %(reason)s", { reason: error.message }));
  }
  for (const id of ids) pending.set(id, pending.get(id) - 1);
  store.put(answer.filter((photo) => !pending.get(photo.id)));
  if ([...pending.values()].every((count) => !count)) page.dataset.saved = "true";
}

function says(ids, change) {
  const what = ids.length === 1 ? describe(store.byId(ids[0])) : nt("%(num)d photo", "%(num)d photos", ids.length);
  if ("pick" in change) {
    if (change.pick === "pick") return t("%(what)s: picked.", { what });
    if (change.pick === "reject") return t("%(what)s: rejected.", { what });
    return t("%(what)s: flag taken off.", { what });
  }
  if ("rating" in change) return nt("%(what)s: %(num)d star.", "%(what)s: %(num)d stars.", change.rating, { what });
  if (change.label) return t("%(what)s: label %(label)s.", { what, label: LABEL_NAMES[change.label] });
  return t("%(what)s: label taken off.", { what });
}

async function undoLast() {
  const step = undo.pop();
  if (!step) {
    announce(t("Nothing to undo."));
    return;
  }
  // Photos that had the same marks before go back together, in one request.
  const groups = new Map();
  for (const { id, marks } of step) {
    const key = JSON.stringify(marks);
    groups.set(key, [...(groups.get(key) || []), id]);
  }
  for (const [key, ids] of groups) await mark(ids, JSON.parse(key), { remember: false });
  announce(nt("Undone for %(num)d photo.", "Undone for %(num)d photos.", step.length));
}

// --- how a tile shows its marks and stack ---------------------------------------------------

function stars(rating) {
  return rating ? "★".repeat(rating) : "";
}

function stackSizes() {
  const sizes = new Map();
  for (const photo of store.photos) if (photo.stack) sizes.set(photo.stack, (sizes.get(photo.stack) || 0) + 1);
  return sizes;
}

const kept = new Set(); // marked since the filters were set: they stay in view

// The photos in view: those the filters keep and, with stacks closed, one photo of each
// stack: its top, or the first the filters keep when they leave its top out.
export function inView(sizes = stackSizes()) {
  const candidates = store.photos.filter((p) => !visible || visible.has(p.id) || kept.has(p.id));
  const shownIds = new Set();
  const standing = new Map(); // stack -> the photo standing for it
  for (const photo of candidates) {
    const stacked = photo.stack && sizes.get(photo.stack) > 1;
    if (!stacked || !collapse() || opened.has(photo.stack)) shownIds.add(photo.id);
    else if (photo.stack_top || !standing.has(photo.stack)) standing.set(photo.stack, photo);
  }
  for (const photo of standing.values()) shownIds.add(photo.id);
  return shownIds;
}

function collapse() {
  return filterForm.elements.collapse.checked;
}

function decorate() {
  const sizes = stackSizes();
  const showing = inView(sizes);
  for (const photo of store.photos) {
    const tile = tileOf(photo.id);
    if (!tile) continue;
    tile.hidden = !showing.has(photo.id);
    const standsFor = photo.stack_top || (collapse() && !opened.has(photo.stack) && showing.has(photo.id));
    const flag = tile.querySelector(".flag");
    flag.hidden = !photo.pick;
    flag.className = `flag ${photo.pick || ""}`;
    flag.textContent = photo.pick === "pick" ? t("Pick") : photo.pick === "reject" ? t("Reject") : "";
    const rating = tile.querySelector(".stars");
    rating.textContent = stars(photo.rating);
    rating.setAttribute("aria-label", nt("%(num)d star", "%(num)d stars", photo.rating || 0));
    rating.hidden = !photo.rating;
    const label = tile.querySelector(".label-chip");
    label.hidden = !photo.label;
    label.className = `label-chip ${photo.label || ""}`;
    label.textContent = photo.label ? LABEL_NAMES[photo.label] : "";
    const size = photo.stack ? sizes.get(photo.stack) : 0;
    const badge = tile.querySelector(".stack-badge");
    badge.hidden = !(size > 1 && standsFor);
    badge.textContent = opened.has(photo.stack) ? t("▾ %(num)s in stack", { num: size }) : t("▸ %(num)s in stack", { num: size });
    badge.setAttribute("aria-expanded", String(opened.has(photo.stack)));
    tile.classList.toggle("stacked", size > 1);
    tile.classList.toggle("rejected", photo.pick === "reject");
    const hint = tile.querySelector(".suggested");
    hint.hidden = !(size > 1 && photo.stack_top && !chosenTop(photo));
  }
  document.getElementById("shown-count").textContent = nt("%(num)d shown", "%(num)d shown", showing.size);
}

function chosenTop(photo) {
  return stacksById.get(photo.stack)?.chosen ?? false;
}

// --- filters: the server's list says which photos they keep --------------------------------

function filterArgs() {
  const args = new URLSearchParams();
  for (const name of ["rating", "pick", "label"]) {
    const value = filterForm.elements[name].value;
    if (value && value !== "0") args.set(name, value);
  }
  if (filterForm.elements.unused.checked) args.set("unused", "1");
  return args;
}

export async function refilter() {
  const args = filterArgs();
  kept.clear();
  if (![...args].length) {
    visible = null;
  } else {
    try {
      const data = await api("GET", `/albums/${encodeURIComponent(store.slug)}/photos?${args}`);
      visible = new Set(data.photos.map((photo) => photo.id));
    } catch (error) {
      announce(t("The filter was not applied: %(reason)s", { reason: error.message }));
    }
  }
  decorate();
}

// --- stacks --------------------------------------------------------------------------------

const stacksById = new Map(); // stack number -> {top, suggested, chosen}

export async function loadStacks() {
  const data = await api("GET", `/albums/${encodeURIComponent(store.slug)}/stacks`);
  stacksById.clear();
  for (const stack of data.stacks) {
    const number = store.byId(stack.top)?.stack;
    if (number) stacksById.set(number, stack);
  }
  decorate();
}

export function toggleStack(id) {
  const stack = store.byId(id)?.stack;
  if (!stack) return;
  if (opened.has(stack)) opened.delete(stack);
  else opened.add(stack);
  decorate();
}

async function stackAction(path, body, done) {
  try {
    await api(path.startsWith("PUT ") ? "PUT" : "POST", `/albums/${encodeURIComponent(store.slug)}/stacks/${path.replace("PUT ", "")}`, body);
    await store.load();
    await loadStacks();
    announce(done);
  } catch (error) {
    announce(t("The stack was not changed: %(reason)s", { reason: error.message }));
  }
}

export function stackTogether(ids) {
  if (ids.length < 2) {
    announce(t("Select two or more photos to stack them."));
    return;
  }
  stackAction("merge", { photos: ids }, nt("%(num)d photo stacked together.", "%(num)d photos stacked together.", ids.length));
}

export function unstack(ids) {
  stackAction("split", { photos: ids }, nt("%(num)d photo taken out of its stack.", "%(num)d photos taken out of their stacks.", ids.length));
}

export function makeTop(id) {
  if (!store.byId(id)?.stack) {
    announce(t("This photo is in no stack."));
    return;
  }
  stackAction("PUT top", { photo_id: id }, t("%(photo)s now stands for its stack.", { photo: describe(store.byId(id)) }));
}

// --- keys ------------------------------------------------------------------------------------

function typing(target) {
  return target.closest?.("input, textarea, select, [contenteditable]") && !target.matches?.(".select");
}

// A key on photo `id`: on the selection when `id` is in it, unless `alone` (the loupe and
// compare mark the photo shown or highlighted, not what is selected behind them).
export function onCullKey(event, id, { alone = false } = {}) {
  if (event.altKey) return false;
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undoLast();
    return true;
  }
  if (event.ctrlKey || event.metaKey) return false;
  const photo = store.byId(id);
  if (!photo) return false;
  const ids = store.selected.has(id) && !alone ? store.selectedIds() : [id];
  const change = changeFor(event.key, photo);
  if (change) {
    event.preventDefault();
    for (const one of ids) kept.add(one);
    mark(ids, change);
    return true;
  }
  const key = event.key.toLowerCase();
  if (key === "s") toggleStack(id);
  else if (key === "t") makeTop(id);
  else if (key === "g") (event.shiftKey ? unstack(ids) : stackTogether(ids));
  else return false;
  event.preventDefault();
  return true;
}

function onKey(event) {
  if (typing(event.target) || document.getElementById("loupe").open) return;
  const id = focusedId();
  if (id == null) return;
  onCullKey(event, id);
}

export function initCull() {
  store.subscribe(decorate);
  document.addEventListener("keydown", onKey);
  filterForm.addEventListener("change", refilter);
  filterForm.addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("photo-grid").addEventListener("click", (event) => {
    const badge = event.target.closest(".stack-badge");
    if (badge) toggleStack(Number(badge.closest(".tile").dataset.id));
  });
  for (const button of document.querySelectorAll("[data-cull]")) {
    button.addEventListener("click", () => {
      const ids = store.selectedIds();
      if (button.dataset.cull === "merge") stackTogether(ids);
      else if (button.dataset.cull === "split") unstack(ids);
      else if (button.dataset.cull === "undo") undoLast();
    });
  }
  page.addEventListener("photos-loaded", () => loadStacks().catch(() => {}));
}
