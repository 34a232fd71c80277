// The admins' trash: list trashed albums and photos, restore the chosen ones, or empty it all.
import { nt, t } from "../texts.js";
import { announce, api } from "./api.js";

const albums = document.getElementById("trash-albums");
const photos = document.getElementById("trash-photos");
const form = document.getElementById("trash-form");

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  return td;
}

function row(kind, value, label, cells) {
  const tr = document.createElement("tr");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = kind;
  box.value = value;
  box.setAttribute("aria-label", t("Select %(what)s", { what: label }));
  const first = document.createElement("td");
  first.append(box);
  tr.append(first, ...cells.map(cell));
  return tr;
}

function empty(colspan, text) {
  const tr = document.createElement("tr");
  const td = cell(text);
  td.colSpan = colspan;
  tr.append(td);
  return tr;
}

async function load() {
  const data = await api("GET", "/trash");
  const trashedAlbums = new Set(data.albums.map((album) => album.slug));
  albums.replaceChildren(...data.albums.map((album) =>
    row("albums", album.slug, t("album %(title)s", { title: album.title }), [album.title, album.slug, album.event_date, album.photos])));
  photos.replaceChildren(...data.photos.map((photo) => {
    const where = trashedAlbums.has(photo.album) ? t("%(album)s (in the trash too)", { album: photo.album }) : photo.album;
    const thumb = Object.values(photo.renditions || {}).sort((a, b) => a.width - b.width)[0];
    const named = { number: photo.number, filename: photo.filename, album: photo.album };
    const tr = row("photos", photo.id, t("photo %(number)s (%(filename)s) of %(album)s", named),
      ["", photo.number, photo.filename, where]);
    if (thumb) {
      const img = document.createElement("img");
      img.src = thumb.url;
      img.alt = "";
      img.height = 48;
      img.loading = "lazy";
      tr.children[1].append(img);
    }
    return tr;
  }));
  if (!data.albums.length) albums.append(empty(5, t("No albums in the trash.")));
  if (!data.photos.length) photos.append(empty(5, t("No photos in the trash.")));
  for (const all of document.querySelectorAll(".select-all")) all.checked = false;
}

function chosen(kind) {
  return [...form.querySelectorAll(`input[name="${kind}"]:checked`)].map((box) => box.value);
}

// "2 albums" and "1 photo", for the sentences that say what was done.
function counts(albumCount, photoCount) {
  return {
    albums: nt("%(num)d album", "%(num)d albums", albumCount),
    photos: nt("%(num)d photo", "%(num)d photos", photoCount),
  };
}

async function restore(event) {
  event.preventDefault();
  const body = { albums: chosen("albums"), photos: chosen("photos").map(Number) };
  if (!body.albums.length && !body.photos.length) {
    announce(t("Select the albums or photos to restore first."));
    return;
  }
  try {
    await api("POST", "/trash/restore", body);
    announce(t("Restored %(albums)s and %(photos)s.", counts(body.albums.length, body.photos.length)));
    await load();
  } catch (error) {
    announce(t("Nothing was restored: %(reason)s", { reason: error.message }));
  }
}

async function emptyTrash() {
  if (!window.confirm(t("Delete everything in the trash for good? This cannot be undone."))) return;
  try {
    const data = await api("POST", "/trash/empty");
    announce(t("Deleted %(albums)s and %(photos)s for good.", counts(data.deleted.albums, data.deleted.photos)));
    await load();
  } catch (error) {
    announce(t("The trash was not emptied: %(reason)s", { reason: error.message }));
  }
}

form.addEventListener("submit", restore);
document.getElementById("empty-trash").addEventListener("click", emptyTrash);
for (const all of document.querySelectorAll(".select-all")) {
  all.addEventListener("change", () => {
    for (const box of form.querySelectorAll(`input[name="${all.dataset.kind}"]`)) box.checked = all.checked;
  });
}
load().catch((error) => announce(t("The trash could not be loaded: %(reason)s", { reason: error.message })));
