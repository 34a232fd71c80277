// Curation: the captions table (a row per photo, each cell saved on leaving it) and bulk edits.
import { nt, t } from "../texts.js";
import { announce, api } from "./api.js";
import { describe, smallest } from "./grid.js";
import { store } from "./store.js";

const view = document.getElementById("table-view");
const body = document.querySelector("#curation tbody");
const template = document.getElementById("row-template");
const form = document.getElementById("bulk-form");
const rows = new Map(); // photo id -> <tr>

const LABELS = {
  caption: t("caption (LV)"), caption_en: t("caption (EN)"), title: t("title (LV)"), title_en: t("title (EN)"),
  alt_text: t("alt text"), keywords: t("keywords"), credit: t("credit"), copyright: t("copyright / licence"),
  consent: t("consent"),
};

function shown(photo, field) {
  return field === "keywords" ? (photo.keywords || []).join(", ") : photo[field] ?? "";
}

function parsed(field, value) {
  return field === "keywords" ? value.split(",").map((word) => word.trim()).filter(Boolean) : value;
}

function makeRow(photo) {
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.id = photo.id;
  rows.set(photo.id, row);
  return row;
}

function fill(row, photo) {
  const selected = store.selected.has(photo.id);
  if (row.photo === photo && row.classList.contains("selected") === selected) return;
  row.photo = photo;
  row.classList.toggle("selected", selected);
  const check = row.querySelector(".select");
  check.checked = selected;
  check.setAttribute("aria-label", t("Select %(photo)s", { photo: describe(photo) }));
  row.querySelector(".number-cell").textContent = photo.number;
  row.querySelector(".filename").textContent = photo.filename;
  const img = row.querySelector("img");
  const thumb = smallest(photo);
  if (thumb && img.getAttribute("src") !== thumb.url) img.src = thumb.url;
  for (const cell of row.querySelectorAll("[data-field]")) {
    cell.setAttribute("aria-label", t("%(field)s of photo %(number)s", { field: LABELS[cell.dataset.field], number: photo.number }));
    if (cell !== document.activeElement) cell.value = shown(photo, cell.dataset.field);
  }
}

function render() {
  if (view.hidden) return; // drawn when shown: 300 rows of inputs are not free
  const keep = new Set(store.ids());
  for (const [id, row] of rows) {
    if (!keep.has(id)) {
      row.remove();
      rows.delete(id);
    }
  }
  store.photos.forEach((photo, index) => {
    const row = rows.get(photo.id) || makeRow(photo);
    fill(row, photo);
    if (body.children[index] !== row) body.insertBefore(row, body.children[index] || null);
  });
}

async function saveCell(cell) {
  const id = Number(cell.closest("tr").dataset.id);
  const field = cell.dataset.field;
  const td = cell.closest("td");
  td.className = "saving";
  try {
    const data = await api("PATCH", `/photos/${id}`, { [field]: parsed(field, cell.value) });
    td.className = "saved";
    store.put([data.photo]);
  } catch (error) {
    td.className = "error";
    cell.setAttribute("aria-invalid", "true");
    const what = t("%(field)s of photo %(number)s", { field: LABELS[field], number: store.byId(id)?.number });
    announce(t("Not saved (%(what)s): %(reason)s", { what, reason: error.message }));
    return;
  }
  cell.removeAttribute("aria-invalid");
}

function onKey(event) {
  const cell = event.target;
  if (!cell.matches("input[data-field], textarea[data-field]")) return;
  let step = 0;
  if (event.key === "Enter" || event.key === "ArrowDown") step = event.shiftKey ? -1 : 1;
  else if (event.key === "ArrowUp") step = -1;
  else if (event.key === "Escape") {
    cell.value = shown(store.byId(Number(cell.closest("tr").dataset.id)), cell.dataset.field);
    return;
  }
  if (!step) return;
  event.preventDefault();
  const row = step > 0 ? cell.closest("tr").nextElementSibling : cell.closest("tr").previousElementSibling;
  const target = row?.querySelector(`[data-field="${cell.dataset.field}"]`);
  if (!target) return; // the last row: Enter has saved the cell already
  target.focus();
  target.select();
}

function onClick(event) {
  if (!event.target.matches(".select")) return;
  const id = Number(event.target.closest("tr").dataset.id);
  if (event.shiftKey) store.select(store.range(id), { add: true });
  else store.toggle(id);
}

function syncBulkForm() {
  const count = store.selected.size;
  const consent = form.elements.field.value === "consent";
  document.getElementById("bulk-text-label").hidden = consent;
  document.getElementById("bulk-consent-label").hidden = !consent;
  const apply = document.getElementById("bulk-apply");
  apply.disabled = count === 0;
  apply.textContent = count ? nt("Apply to %(num)d selected", "Apply to %(num)d selected", count) : t("Apply to selected");
}

async function applyBulk(event) {
  event.preventDefault();
  const ids = store.selectedIds();
  const field = form.elements.field.value;
  const raw = field === "consent" ? form.elements.consent.value : form.elements.value.value;
  if (!ids.length) return;
  try {
    const data = await api("PATCH", "/photos", { ids, set: { [field]: parsed(field, raw) } });
    store.put(data.photos);
    announce(nt("Set the %(field)s of %(num)d photo.", "Set the %(field)s of %(num)d photos.", data.photos.length, { field: LABELS[field] }));
  } catch (error) {
    announce(t("Nothing was changed: %(reason)s", { reason: error.message }));
  }
}

export function showTable(visible) {
  view.hidden = !visible;
  render();
}

export function initCuration() {
  store.subscribe(render);
  store.subscribe(syncBulkForm);
  body.addEventListener("change", (event) => {
    if (event.target.matches("[data-field]")) saveCell(event.target);
  });
  body.addEventListener("keydown", onKey);
  body.addEventListener("click", onClick);
  form.elements.field.addEventListener("change", syncBulkForm);
  form.addEventListener("submit", applyBulk);
  syncBulkForm();
}
