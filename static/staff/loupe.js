// The loupe (one photo filling the window) and compare (2-4 photos side by side), from the
// keyboard: Enter opens the current photo, C compares the selection; arrows move on (in
// compare: between the photos), Z or a click zooms to 100 % where the pointer is (the
// original, when the browser can show its format), Esc closes. Every photo in compare
// zooms and pans together. The marks keys work here too, on the photo shown (in compare:
// the highlighted one). The next photos are fetched ahead, so moving on is instant.
import { t } from "../texts.js";
import { announce } from "./api.js";
import { LABEL_NAMES, inView, onCullKey, setCurrent } from "./cull.js";
import { describe, smallest, tileOf } from "./grid.js";
import { store } from "./store.js";

const dialog = document.getElementById("loupe");
const panels = document.getElementById("loupe-panels");
const template = document.getElementById("panel-template");
const page = document.getElementById("album-page");
const SHOWN_FORMATS = new Set(["JPEG", "PNG", "WEBP", "GIF"]); // a browser shows these originals
const AHEAD = 2; // photos fetched ahead in the loupe (and one behind)

let ids = []; // the photos on screen
let active = 0; // the highlighted one (compare), the shown one (loupe)
let order = []; // the loupe's sequence: the grid's photos in view, in album order
let zoom = null; // {fx, fy, rx, ry}: the photo's point (fractions) at the viewport's point
const fetched = [];

function largest(photo) {
  const sizes = Object.values(photo.renditions || {});
  return sizes.sort((a, b) => b.width - a.width)[0] || smallest(photo);
}

function fullSize(photo) {
  if (SHOWN_FORMATS.has(photo.format)) return `${page.dataset.originals}${photo.id}/original`;
  return largest(photo)?.url;
}

function marksText(photo) {
  const parts = [];
  if (photo.pick === "pick") parts.push(t("Pick"));
  if (photo.pick === "reject") parts.push(t("Reject"));
  if (photo.rating) parts.push("★".repeat(photo.rating));
  if (photo.label) parts.push(LABEL_NAMES[photo.label]);
  return parts.join(" · ");
}

function draw() {
  panels.replaceChildren();
  panels.dataset.count = String(ids.length);
  ids.forEach((id, index) => {
    const photo = store.byId(id);
    const panel = template.content.firstElementChild.cloneNode(true);
    panel.dataset.id = id;
    panel.classList.toggle("active", index === active && ids.length > 1);
    const img = panel.querySelector("img");
    img.src = largest(photo)?.url || "";
    img.alt = photo.alt_text || describe(photo);
    panel.querySelector(".loupe-panel-title").textContent = describe(photo);
    panel.querySelector(".loupe-panel-marks").textContent = marksText(photo);
    panels.append(panel);
  });
  const photo = store.byId(ids[active]);
  setCurrent(photo.id);
  document.getElementById("loupe-title").textContent = ids.length > 1
    ? t("Comparing %(count)s photos", { count: ids.length })
    : t("Photo %(position)s of %(total)s", { position: order.indexOf(photo.id) + 1, total: order.length });
  if (zoom) applyZoom();
  prefetch();
}

// Fetch the photos around the loupe's one now, so that moving on shows them at once.
function prefetch() {
  if (ids.length !== 1) return;
  const at = order.indexOf(ids[0]);
  fetched.length = 0;
  for (const step of [1, 2, -1].slice(0, AHEAD + 1)) {
    const photo = store.byId(order[at + step]);
    const url = photo && largest(photo)?.url;
    if (!url) continue;
    const image = new Image();
    image.src = url;
    fetched.push(image);
  }
}

// --- zoom: 100 % of the full-size picture, the same point of every photo under the pointer

function applyZoom() {
  for (const panel of panels.children) {
    const img = panel.querySelector("img");
    const photo = store.byId(Number(panel.dataset.id));
    const source = fullSize(photo);
    panel.classList.toggle("zoomed", Boolean(zoom));
    if (!zoom) {
      img.src = largest(photo)?.url || "";
      img.classList.remove("at-100");
      img.style.removeProperty("translate");
      continue;
    }
    const place = () => {
      const view = panel.querySelector(".viewport").getBoundingClientRect();
      const x = zoom.rx * view.width - zoom.fx * img.naturalWidth;
      const y = zoom.ry * view.height - zoom.fy * img.naturalHeight;
      img.classList.add("at-100");
      img.style.setProperty("translate", `${Math.round(x)}px ${Math.round(y)}px`);
    };
    if (img.getAttribute("src") !== source) {
      img.addEventListener("load", place, { once: true });
      img.src = source;
    } else place();
  }
}

function zoomAt(panel, clientX, clientY) {
  if (zoom) {
    zoom = null;
    applyZoom();
    return;
  }
  const img = panel.querySelector("img");
  const box = img.getBoundingClientRect();
  const view = panel.querySelector(".viewport").getBoundingClientRect();
  const x = clientX ?? box.left + box.width / 2;
  const y = clientY ?? box.top + box.height / 2;
  zoom = {
    fx: clamp((x - box.left) / box.width),
    fy: clamp((y - box.top) / box.height),
    rx: clamp((x - view.left) / view.width),
    ry: clamp((y - view.top) / view.height),
  };
  applyZoom();
}

function clamp(value) {
  return Math.min(1, Math.max(0, value));
}

// While zoomed, the pointer looks around: the point under it is the same in every photo.
function pan(event) {
  if (!zoom) return;
  const panel = event.target.closest(".loupe-panel");
  if (!panel) return;
  const view = panel.querySelector(".viewport").getBoundingClientRect();
  const rx = clamp((event.clientX - view.left) / view.width);
  const ry = clamp((event.clientY - view.top) / view.height);
  zoom = { fx: rx, fy: ry, rx, ry };
  applyZoom();
}

// --- opening, moving, closing -------------------------------------------------------------

function visibleOrder() {
  const showing = inView();
  return store.photos.filter((photo) => showing.has(photo.id)).map((photo) => photo.id);
}

export function openLoupe(id) {
  order = visibleOrder();
  if (!order.includes(id)) order = store.ids();
  ids = [id];
  active = 0;
  zoom = null;
  draw();
  if (!dialog.open) dialog.showModal();
}

export function openCompare(chosen) {
  if (chosen.length < 2 || chosen.length > 4) {
    announce(t("Select two to four photos to compare them."));
    return;
  }
  order = visibleOrder();
  ids = chosen;
  active = 0;
  zoom = null;
  draw();
  if (!dialog.open) dialog.showModal();
}

function step(delta) {
  if (ids.length > 1) {
    active = (active + delta + ids.length) % ids.length;
  } else {
    const at = order.indexOf(ids[0]);
    const next = order[at + delta];
    if (next == null) return;
    ids = [next];
  }
  draw();
}

function close() {
  const id = ids[active];
  dialog.close();
  setCurrent(null);
  const tile = tileOf(id);
  if (tile && !tile.hidden) tile.focus();
}

function onKey(event) {
  if (event.key === "ArrowRight" || event.key === "ArrowDown") step(1);
  else if (event.key === "ArrowLeft" || event.key === "ArrowUp") step(-1);
  else if (event.key.toLowerCase() === "z" && !event.ctrlKey && !event.metaKey) {
    zoomAt(panels.children[active], null, null);
  } else if (event.key === "Escape") {
    event.preventDefault();
    close();
    return;
  } else {
    onCullKey(event, ids[active], { alone: true }); // the marks shown follow the store
    return;
  }
  event.preventDefault();
}

function onGridKey(event) {
  const tile = event.target.closest?.(".tile");
  if (!tile || event.target !== tile || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.key === "Enter") {
    event.preventDefault();
    openLoupe(Number(tile.dataset.id));
  } else if (event.key.toLowerCase() === "c") {
    event.preventDefault();
    openCompare(store.selectedIds());
  }
}

export function initLoupe() {
  dialog.addEventListener("keydown", onKey);
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(); });
  document.getElementById("loupe-close").addEventListener("click", close);
  panels.addEventListener("click", (event) => {
    const panel = event.target.closest(".loupe-panel");
    if (!panel) return;
    active = [...panels.children].indexOf(panel);
    zoomAt(panel, event.clientX, event.clientY);
    for (const other of panels.children) other.classList.toggle("active", other === panel && ids.length > 1);
  });
  panels.addEventListener("pointermove", pan);
  document.getElementById("photo-grid").addEventListener("keydown", onGridKey);
  document.getElementById("photo-grid").addEventListener("dblclick", (event) => {
    const tile = event.target.closest(".tile");
    if (tile) openLoupe(Number(tile.dataset.id));
  });
  store.subscribe(() => {
    if (dialog.open) for (const panel of panels.children) {
      const photo = store.byId(Number(panel.dataset.id));
      if (photo) panel.querySelector(".loupe-panel-marks").textContent = marksText(photo);
    }
  });
}
