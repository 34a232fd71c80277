// Album order: drag and drop of tiles (one or the selection), Alt+arrow keys, saved at once.
import { nt, t } from "../texts.js";
import { announce, api } from "./api.js";
import { store } from "./store.js";

const grid = document.getElementById("photo-grid");
const TYPE = "application/x-gallery-photos";
let dragged = null; // ids being dragged
let saving = Promise.resolve();

// Move the photos `ids` one step earlier (-1) or later (+1), as a block that keeps its gaps.
export function moveBy(ids, delta) {
  const order = store.ids();
  const moving = new Set(ids);
  const indices = order.map((_, i) => i);
  if (delta > 0) indices.reverse();
  for (const i of indices) {
    const j = i + delta;
    if (!moving.has(order[i]) || j < 0 || j >= order.length || moving.has(order[j])) continue;
    [order[i], order[j]] = [order[j], order[i]];
  }
  return save(order, ids);
}

// Put the photos `ids` (in their album order) before the photo `beforeId`, or at the end.
export function moveBefore(ids, beforeId) {
  const moving = new Set(ids);
  const rest = store.ids().filter((id) => !moving.has(id));
  const block = store.ids().filter((id) => moving.has(id));
  const at = beforeId == null ? rest.length : rest.indexOf(beforeId);
  rest.splice(at < 0 ? rest.length : at, 0, ...block);
  return save(rest, ids);
}

function save(order, ids) {
  const before = store.ids();
  if (order.every((id, i) => id === before[i])) return saving;
  store.arrange(order);
  const first = store.byId(ids[0]);
  announce(ids.length > 1
    ? nt("Moved to position %(position)s (%(num)d photo).", "Moved to position %(position)s (%(num)d photos).", ids.length, { position: first.number })
    : t("Moved to position %(position)s.", { position: first.number }));
  // Saves run one after another, so the server ends with the last order shown.
  saving = saving.then(async () => {
    try {
      const data = await api("PUT", `/albums/${encodeURIComponent(store.slug)}/order`, {
        photo_ids: order,
      });
      if (store.ids().join() === order.join()) store.replace(data.photos);
    } catch (error) {
      announce(t("The new order was not saved: %(reason)s", { reason: error.message }));
      await store.load().catch(() => {});
    }
  });
  return saving;
}

function tileAt(event) {
  return event.target.closest ? event.target.closest(".tile") : null;
}

function clearMarks() {
  for (const tile of grid.querySelectorAll(".drop-before, .drop-after, .dragging")) {
    tile.classList.remove("drop-before", "drop-after", "dragging");
  }
}

function after(tile, event) {
  const box = tile.getBoundingClientRect();
  return event.clientX > box.left + box.width / 2;
}

function onDragStart(event) {
  const tile = tileAt(event);
  if (!tile) return;
  const id = Number(tile.dataset.id);
  dragged = store.selected.has(id) ? store.selectedIds() : [id];
  event.dataTransfer.effectAllowed = "move";
  event.dataTransfer.setData(TYPE, JSON.stringify(dragged));
  event.dataTransfer.setData("text/plain", `photos ${dragged.join(", ")}`);
  for (const moving of dragged) grid.querySelector(`[data-id="${moving}"]`)?.classList.add("dragging");
}

function onDragOver(event) {
  const tile = tileAt(event);
  if (!dragged || !tile) return;
  event.preventDefault();
  event.dataTransfer.dropEffect = "move";
  const later = after(tile, event);
  for (const marked of grid.querySelectorAll(".drop-before, .drop-after")) {
    if (marked !== tile) marked.classList.remove("drop-before", "drop-after");
  }
  tile.classList.toggle("drop-after", later);
  tile.classList.toggle("drop-before", !later);
}

function onDrop(event) {
  const tile = tileAt(event);
  if (!dragged || !tile) return;
  event.preventDefault();
  event.stopPropagation();
  let beforeId = Number(tile.dataset.id);
  if (after(tile, event)) {
    const next = tile.nextElementSibling;
    beforeId = next ? Number(next.dataset.id) : null;
  }
  const ids = dragged;
  clearMarks();
  dragged = null;
  if (ids.includes(beforeId)) return; // dropped onto itself
  moveBefore(ids, beforeId);
}

function onKey(event) {
  const tile = tileAt(event);
  if (!tile || !event.altKey) return;
  const id = Number(tile.dataset.id);
  const ids = store.selected.has(id) ? store.selectedIds() : [id];
  const delta = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 }[event.key];
  if (delta) {
    event.preventDefault();
    moveBy(ids, delta);
  } else if (event.key === "Home" || event.key === "End") {
    event.preventDefault();
    const first = store.ids().find((other) => !ids.includes(other));
    moveBefore(ids, event.key === "Home" ? first ?? null : null);
  }
}

export function initReorder() {
  grid.addEventListener("dragstart", onDragStart);
  grid.addEventListener("dragover", onDragOver);
  grid.addEventListener("drop", onDrop);
  grid.addEventListener("dragend", () => {
    clearMarks();
    dragged = null;
  });
  grid.addEventListener("keydown", onKey);
}
