// The staff album page: wires the grid, reordering, curation and uploads to one photo store.
//
// Decisions where the issue was silent:
// - Two views of one selection: thumbnails (order, cover, delete) and a captions table (a
//   row per photo, each cell saved when left). "Apply to selected" sets one field at a time,
//   so a field can also be cleared for many photos; keywords replace, they do not add.
// - Drag a selected tile and the whole selection moves, as a block; Alt+arrows do the same.
// - Uploads: three at a time. Refusals (format, size, damage) get no retry button, since the
//   same bytes would be refused again; interrupted or server-failed files do. Problems float
//   to the top of the list. System clutter in folders (.DS_Store, Thumbs.db...) is skipped,
//   as the server does in folders and zips.
// - Deleting asks first, for one photo, several or the album (it goes to the trash; only
//   admins restore from the trash, /staff/trash, so there is no undo to offer staff).
import { nt, t } from "../texts.js";
import { announce, api } from "./api.js";
import { initCull, loadStacks } from "./cull.js";
import { initCuration, showTable } from "./curation.js";
import { confirmTrash, initGrid } from "./grid.js";
import { initLoupe } from "./loupe.js";
import { initReorder } from "./reorder.js";
import { watchShortcuts } from "./shortcuts.js";
import { store } from "./store.js";
import { initUpload } from "./upload.js";

const page = document.getElementById("album-page");
const selectAll = document.getElementById("select-all");
const trashSelected = document.getElementById("trash-selected");

function syncToolbar() {
  const count = store.selected.size;
  const total = store.photos.length;
  selectAll.checked = total > 0 && count === total;
  selectAll.indeterminate = count > 0 && count < total;
  document.getElementById("selection-count").textContent = count ? nt("%(num)d selected", "%(num)d selected", count) : t("none selected");
  trashSelected.disabled = count === 0;
}

function switchView(name) {
  for (const button of document.querySelectorAll("[data-view]")) {
    button.setAttribute("aria-pressed", String(button.dataset.view === name));
  }
  document.getElementById("photo-grid").hidden = name !== "grid";
  showTable(name === "table");
}

async function trashAlbum() {
  const question = t("Move the album “%(album)s” and its photos to the trash? An admin can restore it.", { album: page.dataset.title });
  if (!window.confirm(question)) return;
  try {
    await api("DELETE", `/albums/${encodeURIComponent(store.slug)}`);
    window.location.assign(page.dataset.home);
  } catch (error) {
    announce(t("The album was not moved to the trash: %(reason)s", { reason: error.message }));
  }
}

function initToolbar() {
  store.subscribe(syncToolbar);
  selectAll.addEventListener("change", () => {
    store.select(selectAll.checked ? store.ids() : []);
  });
  trashSelected.addEventListener("click", () => {
    const ids = store.selectedIds();
    confirmTrash(ids);
  });
  for (const button of document.querySelectorAll("[data-view]")) {
    button.addEventListener("click", () => switchView(button.dataset.view));
  }
  document.getElementById("trash-album").addEventListener("click", trashAlbum);
  const copy = document.getElementById("copy-secret");
  if (copy) {
    copy.addEventListener("click", async () => {
      const field = document.getElementById("secret-link");
      field.select();
      await navigator.clipboard?.writeText(field.value).catch(() => {});
      announce(t("The secret link is copied."));
    });
  }
}

initGrid();
initReorder();
initCuration();
initUpload();
initToolbar();
initCull();
initLoupe();
watchShortcuts(page);
store
  .load()
  .then(() => loadStacks())
  .catch((error) => announce(t("The photos could not be loaded: %(reason)s", { reason: error.message })))
  .finally(() => { page.dataset.ready = "true"; }); // for tests, and for styles if need be
