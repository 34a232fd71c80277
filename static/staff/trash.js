// The admins' trash: list trashed albums and photos, restore the chosen ones, or empty it all.
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
  box.setAttribute("aria-label", `Select ${label}`);
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
    row("albums", album.slug, `album ${album.title}`, [album.title, album.slug, album.event_date, album.photos])));
  photos.replaceChildren(...data.photos.map((photo) => {
    const where = trashedAlbums.has(photo.album) ? `${photo.album} (in the trash too)` : photo.album;
    const thumb = Object.values(photo.renditions || {}).sort((a, b) => a.width - b.width)[0];
    const tr = row("photos", photo.id, `photo ${photo.number} (${photo.filename}) of ${photo.album}`,
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
  if (!data.albums.length) albums.append(empty(5, "No albums in the trash."));
  if (!data.photos.length) photos.append(empty(5, "No photos in the trash."));
  for (const all of document.querySelectorAll(".select-all")) all.checked = false;
}

function chosen(kind) {
  return [...form.querySelectorAll(`input[name="${kind}"]:checked`)].map((box) => box.value);
}

async function restore(event) {
  event.preventDefault();
  const body = { albums: chosen("albums"), photos: chosen("photos").map(Number) };
  if (!body.albums.length && !body.photos.length) {
    announce("Select the albums or photos to restore first.");
    return;
  }
  try {
    await api("POST", "/trash/restore", body);
    announce(`Restored ${body.albums.length} album(s) and ${body.photos.length} photo(s).`);
    await load();
  } catch (error) {
    announce(`Nothing was restored: ${error.message}`);
  }
}

async function emptyTrash() {
  if (!window.confirm("Delete everything in the trash for good? This cannot be undone.")) return;
  try {
    const data = await api("POST", "/trash/empty");
    announce(`Deleted ${data.deleted.albums} album(s) and ${data.deleted.photos} photo(s) for good.`);
    await load();
  } catch (error) {
    announce(`The trash was not emptied: ${error.message}`);
  }
}

form.addEventListener("submit", restore);
document.getElementById("empty-trash").addEventListener("click", emptyTrash);
for (const all of document.querySelectorAll(".select-all")) {
  all.addEventListener("change", () => {
    for (const box of form.querySelectorAll(`input[name="${all.dataset.kind}"]`)) box.checked = all.checked;
  });
}
load().catch((error) => announce(`The trash could not be loaded: ${error.message}`));
