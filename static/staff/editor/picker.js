// The contact sheet under the editor: an album's numbered photos. A click assigns a photo
// to the label typed in the label box (default: its number), or, in row mode, adds it to a
// new row that is inserted at the text's cursor; a photo can also be dragged into the text.
// Each photo says where it is used: other articles (from the server) and this one's labels.
import { insertRow, placedLabels } from "./text.js";
import { t } from "../../texts.js";

const picker = document.getElementById("picker");
const albumSelect = document.getElementById("picker-album");
const onlySelect = document.getElementById("picker-only"); // culling's filter: picks only...
const labelBox = document.getElementById("pick-label");
const builder = document.getElementById("row-builder");
const draftOut = document.getElementById("row-draft");
const insertButton = document.getElementById("insert-row");
const LABEL = /^[0-9]{1,3}[a-z]?$/;

let draft = []; // [{label, photo}] of the row being built

function mode() {
  return document.querySelector("input[name=pick-mode]:checked").value;
}

function photoOf(tile) {
  const grid = tile.closest(".picker-grid");
  return { id: Number(tile.dataset.photoId), number: tile.dataset.number, album: grid.dataset.album, albumTitle: grid.dataset.albumTitle };
}

// The label that shows this photo: one it has already, else its number when that means
// this photo (its own album's, or free), else its number with the first free letter.
function labelFor(ctx, photo, taken) {
  const labels = ctx.labels();
  const mine = Object.keys(labels).find((label) => labels[label].photo_id === photo.id);
  if (mine) return { label: mine, assign: false };
  const own = photo.album === ctx.album();
  for (const suffix of ["", ..."abcdefghijklmnopqrstuvwxyz"]) {
    const label = photo.number + suffix;
    if (taken.has(label)) continue;
    if (!labels[label]) return { label, assign: !(own && suffix === "") };
  }
  return null;
}

function takenLabels(ctx) {
  return new Set([...Object.keys(ctx.labels()), ...placedLabels(ctx.area.value), ...draft.map((d) => d.label)]);
}

async function assign(ctx, tile) {
  const photo = photoOf(tile);
  const label = (labelBox.value.trim() || photo.number).toLowerCase();
  if (!LABEL.test(label)) {
    ctx.announce(t("Type a label like 7 or 8a."));
    labelBox.focus();
    return;
  }
  const old = ctx.labels()[label];
  const same = old && old.photo_id === photo.id; // keep its crop and caption
  const body = { photo_id: photo.id, crop: same ? old.crop : null, caption: same ? old.caption : null };
  const said = t("Label %(label)s shows photo %(number)s of %(album)s.", { label, number: photo.number, album: photo.albumTitle });
  if (await ctx.write("PUT", `/labels/${encodeURIComponent(label)}`, body, said)) labelBox.value = "";
}

function showDraft() {
  draftOut.textContent = draft.length ? draft.map((d) => d.label).join("  ") : t("Click photos to build a row.");
  insertButton.disabled = draft.length === 0;
}

function addToRow(ctx, tile) {
  const photo = photoOf(tile);
  const found = labelFor(ctx, photo, takenLabels(ctx));
  if (!found) return;
  draft.push({ ...found, photo });
  showDraft();
}

async function insertDraft(ctx) {
  for (const item of draft.filter((d) => d.assign)) {
    const ok = await ctx.write("PUT", `/labels/${encodeURIComponent(item.label)}`, { photo_id: item.photo.id }, "");
    if (!ok) return;
  }
  const labels = draft.map((d) => d.label);
  insertRow(ctx.area, labels);
  draft = [];
  showDraft();
  ctx.announce(t("The row %(labels)s is in the text.", { labels: labels.join(" ") }));
}

// Dragging a photo into the text drops its label there, spaced to stand in a row.
function onDragStart(ctx, event) {
  const tile = event.target.closest(".pick");
  if (!tile) return;
  const found = labelFor(ctx, photoOf(tile), new Set([...Object.keys(ctx.labels()), ...placedLabels(ctx.area.value)]));
  if (!found) return;
  event.dataTransfer.setData("text/plain", ` ${found.label} `);
  event.dataTransfer.setData("application/x-gallery-label", JSON.stringify({ ...found, photo_id: photoOf(tile).id }));
  event.dataTransfer.effectAllowed = "copy";
}

function onDrop(ctx, event) {
  const data = event.dataTransfer.getData("application/x-gallery-label");
  if (!data) return;
  const dropped = JSON.parse(data);
  if (dropped.assign) ctx.write("PUT", `/labels/${encodeURIComponent(dropped.label)}`, { photo_id: dropped.photo_id }, "");
}

// Mark each photo with the labels this article shows it under.
export function markUsage(labels) {
  const byPhoto = new Map();
  for (const [label, info] of Object.entries(labels)) {
    if (info.photo_id) byPhoto.set(info.photo_id, [...(byPhoto.get(info.photo_id) || []), label]);
  }
  for (const tile of picker.querySelectorAll(".pick")) {
    const here = byPhoto.get(Number(tile.dataset.photoId));
    const note = tile.querySelector(".here");
    tile.classList.toggle("used-here", Boolean(here));
    note.hidden = !here;
    note.textContent = here ? t("In this article as %(labels)s", { labels: here.join(", ") }) : "";
  }
}

async function switchAlbum(ctx) {
  const only = onlySelect.value ? `&${onlySelect.value}` : ""; // fixed query strings of the template
  const url = `${ctx.root.dataset.picker}?album=${encodeURIComponent(albumSelect.value)}${only}`;
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${response.status}`);
    picker.innerHTML = await response.text(); // our own server's escaped template
    if (ctx.answer()) markUsage(ctx.labels());
  } catch (error) {
    ctx.announce(t("Not done: %(message)s", { message: error.message }));
  }
}

export function initPicker(ctx) {
  picker.addEventListener("click", (event) => {
    const button = event.target.closest(".pick-photo");
    if (!button) return;
    const tile = button.closest(".pick");
    if (mode() === "row") addToRow(ctx, tile);
    else assign(ctx, tile);
  });
  picker.addEventListener("dragstart", (event) => onDragStart(ctx, event));
  ctx.area.addEventListener("drop", (event) => onDrop(ctx, event));
  for (const radio of document.querySelectorAll("input[name=pick-mode]")) {
    radio.addEventListener("change", () => {
      builder.hidden = mode() !== "row";
      document.getElementById("pick-label-field").hidden = mode() === "row";
      document.getElementById("pick-label-help").hidden = mode() === "row";
    });
  }
  insertButton.addEventListener("click", () => insertDraft(ctx));
  document.getElementById("clear-row").addEventListener("click", () => { draft = []; showDraft(); });
  albumSelect.addEventListener("change", () => switchAlbum(ctx));
  onlySelect.addEventListener("change", () => switchAlbum(ctx));
  showDraft();
}
