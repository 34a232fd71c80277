// The thumbnail grid: a numbered tile per photo, selection by mouse and keyboard, cover, delete.
import { nt, t } from "../texts.js";
import { announce, api } from "./api.js";
import { moveBy } from "./reorder.js";
import { store } from "./store.js";

const grid = document.getElementById("photo-grid");
const template = document.getElementById("tile-template");
const tiles = new Map(); // photo id -> <li>
let current = null; // the tile that holds the grid's one tab stop

export function smallest(photo) {
  const sizes = Object.values(photo.renditions || {});
  return sizes.sort((a, b) => a.width - b.width)[0] || null;
}

export function describe(photo) {
  return t("photo %(number)s (%(filename)s)", { number: photo.number, filename: photo.filename });
}

export function tileOf(id) {
  return tiles.get(id);
}

function makeTile(photo) {
  const tile = template.content.firstElementChild.cloneNode(true);
  tile.dataset.id = photo.id;
  tiles.set(photo.id, tile);
  return tile;
}

function fill(tile, photo) {
  const selected = store.selected.has(photo.id);
  const key = `${selected}/${photo.id === store.cover}`;
  if (tile.photo === photo && tile.dataset.state === key) return; // nothing changed
  tile.photo = photo;
  tile.dataset.state = key;
  const thumb = smallest(photo);
  const img = tile.querySelector("img");
  if (thumb && img.getAttribute("src") !== thumb.url) {
    img.src = thumb.url;
    img.width = thumb.width;
    img.height = thumb.height;
  }
  img.alt = photo.alt_text || "";
  tile.querySelector(".number").textContent = photo.number;
  tile.querySelector(".filename").textContent = photo.filename;
  tile.querySelector(".filename").title = photo.filename;
  tile.classList.toggle("selected", selected);
  tile.classList.toggle("cover", photo.id === store.cover);
  tile.querySelector(".select").checked = selected;
  tile.querySelector(".check span").textContent = t("Select %(photo)s", { photo: describe(photo) });
  tile.querySelector(".cover-badge").hidden = photo.id !== store.cover;
  tile.querySelector(".consent-badge").hidden = photo.consent !== "no_public";
  const named = { number: photo.number, filename: photo.filename };
  tile.setAttribute("aria-label", selected ? t("Photo %(number)s, %(filename)s, selected", named) : t("Photo %(number)s, %(filename)s", named));
  const [earlier, later] = tile.querySelectorAll(".move");
  earlier.setAttribute("aria-label", t("Move %(photo)s earlier", { photo: describe(photo) }));
  later.setAttribute("aria-label", t("Move %(photo)s later", { photo: describe(photo) }));
  tile.querySelector(".make-cover").setAttribute("aria-label", t("Make %(photo)s the album cover", { photo: describe(photo) }));
  tile.querySelector(".trash").setAttribute("aria-label", t("Delete %(photo)s (to the trash)", { photo: describe(photo) }));
}

// Only the current tile and its controls are in the tab order (a roving tab stop).
function setCurrent(tile) {
  if (current && current !== tile) {
    current.tabIndex = -1;
    for (const control of current.querySelectorAll("input, button")) control.tabIndex = -1;
  }
  current = tile;
  if (!tile) return;
  tile.tabIndex = 0;
  for (const control of tile.querySelectorAll("input, button")) control.tabIndex = 0;
}

function render() {
  const focused = document.activeElement;
  const keep = new Set(store.ids());
  for (const [id, tile] of tiles) {
    if (!keep.has(id)) {
      if (tile === current) current = null;
      tile.remove();
      tiles.delete(id);
    }
  }
  store.photos.forEach((photo, index) => {
    const tile = tiles.get(photo.id) || makeTile(photo);
    fill(tile, photo);
    if (grid.children[index] !== tile) grid.insertBefore(tile, grid.children[index] || null);
  });
  if (!current || !current.isConnected) setCurrent(grid.firstElementChild);
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus();
  document.getElementById("photo-count").textContent = `(${store.photos.length})`;
  document.getElementById("empty-album").hidden = store.photos.length > 0;
}

function inView() {
  return [...grid.children].filter((tile) => !tile.hidden); // culling's filters hide some
}

// The photos from the anchor to `id` that are in view (a closed stack's others are not).
function inRange(id) {
  return store.range(id).filter((one) => !tiles.get(one)?.hidden);
}

function columns() {
  const list = inView();
  const first = list[0];
  if (!first) return 1;
  let count = 0;
  for (const tile of list) {
    if (tile.offsetTop !== first.offsetTop) break;
    count += 1;
  }
  return Math.max(count, 1);
}

function focusTile(tile) {
  if (!tile) return;
  setCurrent(tile);
  tile.focus();
}

const STEPS = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: "up", ArrowDown: "down" };

function onKey(event) {
  const tile = event.target.closest(".tile");
  if (!tile || event.altKey) return; // Alt+arrows belong to reorder.js
  const id = Number(tile.dataset.id);
  const list = inView();
  const at = list.indexOf(tile);
  let target = null;
  if (event.key in STEPS) {
    const step = STEPS[event.key];
    const delta = step === "up" ? -columns() : step === "down" ? columns() : step;
    target = list[Math.min(Math.max(at + delta, 0), list.length - 1)];
  } else if (event.key === "Home") target = list[0];
  else if (event.key === "End") target = list[list.length - 1];
  else if (event.key === " " && event.target === tile) {
    event.preventDefault();
    store.toggle(id);
    return;
  } else if (event.key === "Escape") {
    store.select([]);
    return;
  } else if (event.key === "a" && (event.ctrlKey || event.metaKey) && event.target === tile) {
    event.preventDefault();
    store.select(store.ids());
    return;
  }
  if (!target) return;
  event.preventDefault();
  focusTile(target);
  if (event.shiftKey) store.select(inRange(Number(target.dataset.id)));
}

function onClick(event) {
  const tile = event.target.closest(".tile");
  if (!tile) return;
  const id = Number(tile.dataset.id);
  setCurrent(tile);
  if (event.target.matches(".select")) {
    if (event.shiftKey) store.select(inRange(id), { add: true });
    else store.toggle(id);
  } else if (event.target.closest("figure")) {
    if (event.shiftKey) store.select(inRange(id), { add: event.ctrlKey || event.metaKey });
    else if (event.ctrlKey || event.metaKey) store.toggle(id);
    else {
      store.anchor = id;
      store.select([id]);
    }
  } else if (event.target.matches(".move")) moveBy([id], Number(event.target.dataset.move));
  else if (event.target.matches(".make-cover")) makeCover(id);
  else if (event.target.matches(".trash")) confirmTrash([id]);
}

async function makeCover(id) {
  try {
    const data = await api("PATCH", `/albums/${encodeURIComponent(store.slug)}`, { cover_photo_id: id });
    store.cover = data.album.cover_photo_id;
    store.notify();
    announce(t("%(photo)s is now the album cover.", { photo: describe(store.byId(id)) }));
  } catch (error) {
    announce(t("The cover was not changed: %(reason)s", { reason: error.message }));
  }
}

// Ask first (the trash is only an admin's to empty or restore from), then delete.
export function confirmTrash(ids) {
  if (!ids.length) return;
  const question = ids.length === 1
    ? t("Move %(photo)s to the trash? Only an admin can restore it.", { photo: describe(store.byId(ids[0])) })
    : nt("Move %(num)d photo to the trash? Only an admin can restore them.", "Move %(num)d photos to the trash? Only an admin can restore them.", ids.length);
  if (window.confirm(question)) trash(ids);
}

async function trash(ids) {
  const done = [];
  for (const id of ids) {
    try {
      await api("DELETE", `/photos/${id}`);
      done.push(id);
    } catch (error) {
      announce(t("Photo %(number)s was not deleted: %(reason)s", { number: store.byId(id)?.number, reason: error.message }));
      break;
    }
  }
  if (!done.length) return;
  const next = tiles.get(done[done.length - 1])?.nextElementSibling;
  store.remove(done);
  if (next) focusTile(next);
  announce(nt("%(num)d photo moved to the trash; an admin can restore it.", "%(num)d photos moved to the trash; an admin can restore them.", done.length));
  store.resyncSoon(0); // the numbers of the others may have changed
}

export function initGrid() {
  store.subscribe(render);
  grid.addEventListener("keydown", onKey);
  grid.addEventListener("click", onClick);
  grid.addEventListener("focusin", (event) => {
    const tile = event.target.closest(".tile");
    if (tile) setCurrent(tile);
  });
}
