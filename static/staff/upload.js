// Uploads: files, folders and zips dropped or chosen; one request per file, three at a time,
// each with its own progress bar, an overall bar, reasons for refusals, retry for failures.
import { nt, t } from "../texts.js";
import { announce, apiBase, csrf, errorOf } from "./api.js";
import { fromDrop, fromFileList, hasFiles } from "./sources.js";
import { store } from "./store.js";

const CONCURRENCY = 3;
// Refusals that re-sending the same bytes cannot change; anything else may be retried.
const REFUSED = new Set([
  "empty", "too_large", "unsupported_format", "too_many_pixels", "too_many_frames", "corrupt",
  "decoder_failed", "request_entity_too_large",
]);
const LABELS = {
  queued: t("waiting"), uploading: t("uploading"), processing: t("processing…"), done: t("added"),
  duplicate: t("duplicate"), rejected: t("rejected"), failed: t("failed"),
};

const list = document.getElementById("upload-list");
const template = document.getElementById("upload-template");
const summary = document.getElementById("upload-summary");
const overall = document.getElementById("upload-overall");
const status = document.getElementById("upload-status");
const retryFailed = document.getElementById("retry-failed");
const items = [];
let drawQueued = false;

function add(found) {
  for (const { file, name } of found) {
    const item = { file, name, state: "queued", loaded: 0, message: "", xhr: null };
    item.el = template.content.firstElementChild.cloneNode(true);
    item.el.querySelector(".upload-name").textContent = name;
    item.el.querySelector(".upload-name").title = name;
    item.el.querySelector("progress").setAttribute("aria-label", t("Upload of %(name)s", { name }));
    item.el.querySelector(".upload-stop").setAttribute("aria-label", t("Stop uploading %(name)s", { name }));
    item.el.querySelector(".upload-retry").setAttribute("aria-label", t("Retry %(name)s", { name }));
    item.el.querySelector(".upload-stop").addEventListener("click", () => stop(item));
    item.el.querySelector(".upload-retry").addEventListener("click", () => retry(item));
    items.push(item);
    list.append(item.el);
    show(item);
  }
  summary.hidden = items.length === 0;
  pump();
}

function show(item, details) {
  const { el } = item;
  // Problems float to the top, so they are not lost among 300 "added".
  if (["duplicate", "rejected", "failed"].includes(item.state) && !el.classList.contains(item.state)) {
    list.prepend(el);
  }
  el.className = `upload-item ${item.state}`;
  const label = item.zip && item.state === "done" ? t("unpacked") : LABELS[item.state];
  el.querySelector(".upload-state").textContent = item.message ? `${label}: ${item.message}` : label;
  const bar = el.querySelector("progress");
  if (item.state === "processing") bar.removeAttribute("value"); // indeterminate
  else bar.value = finished(item) ? 1 : item.loaded / (item.file.size || 1);
  el.querySelector(".upload-stop").hidden = !["queued", "uploading", "processing"].includes(item.state);
  el.querySelector(".upload-retry").hidden = item.state !== "failed";
  if (details) {
    const ul = el.querySelector(".upload-details");
    ul.replaceChildren(...details.map(([cls, text]) => {
      const li = document.createElement("li");
      li.className = cls;
      li.textContent = text;
      return li;
    }));
  }
  scheduleSummary();
}

function finished(item) {
  return ["done", "duplicate", "rejected"].includes(item.state);
}

function scheduleSummary() {
  if (drawQueued) return;
  drawQueued = true;
  window.requestAnimationFrame(drawSummary);
}

function drawSummary() {
  drawQueued = false;
  const count = (state) => items.filter((item) => item.state === state).length;
  let total = 0;
  let sent = 0;
  for (const item of items) {
    const size = item.file.size || 1;
    total += size;
    if (finished(item)) sent += size;
    else if (item.state !== "failed") sent += Math.min(item.loaded, size) * 0.95;
  }
  overall.value = total ? sent / total : 0;
  const busy = count("queued") + count("uploading") + count("processing");
  const done = items.length - busy;
  const parts = tally(count("done"), count("duplicate"), count("rejected"), count("failed"));
  const finishedText = nt("%(done)s of %(num)d file finished", "%(done)s of %(num)d files finished", items.length, { done });
  const allDone = busy ? "" : ". " + t("All done.");
  status.textContent = `${finishedText} (${parts})${allDone}`;
  retryFailed.hidden = count("failed") === 0;
}

// "20 added, 0 duplicate, 1 rejected" (and the failed ones, if any).
function tally(added, duplicate, rejected, failed = 0) {
  const parts = [
    nt("%(num)d added", "%(num)d added", added),
    nt("%(num)d duplicate", "%(num)d duplicate", duplicate),
    nt("%(num)d rejected", "%(num)d rejected", rejected),
  ];
  if (failed) parts.push(nt("%(num)d failed", "%(num)d failed", failed));
  return parts.join(", ");
}

function pump() {
  const active = items.filter((item) => ["uploading", "processing"].includes(item.state)).length;
  // One queued on the server (followed, no request open) leaves its place to the next file.
  const sending = items.filter((item) => item.xhr).length;
  const waiting = items.filter((item) => item.state === "queued");
  for (const item of waiting.slice(0, Math.max(CONCURRENCY - sending, 0))) send(item);
  if (active === 0 && waiting.length === 0 && items.length) {
    store.resyncSoon(0); // final numbers: the server keeps the album in taken-at order
    drawSummary();
    announce(status.textContent);
  }
}

function send(item) {
  const xhr = new XMLHttpRequest();
  item.xhr = xhr;
  item.state = "uploading";
  item.loaded = 0;
  item.message = "";
  show(item);
  xhr.open("POST", `${apiBase}/albums/${encodeURIComponent(store.slug)}/photos`);
  xhr.setRequestHeader("X-CSRF-Token", csrf);
  xhr.setRequestHeader("Accept", "application/json");
  xhr.responseType = "json";
  xhr.upload.addEventListener("progress", (event) => {
    item.loaded = event.loaded;
    show(item);
  });
  xhr.upload.addEventListener("load", () => {
    item.state = "processing";
    show(item);
  });
  xhr.addEventListener("load", () => settle(item, xhr.status, xhr.response));
  xhr.addEventListener("error", () => fail(item, t("the connection was interrupted")));
  xhr.addEventListener("abort", () => fail(item, t("stopped")));
  const form = new FormData();
  form.append("file", item.file, item.file.name);
  xhr.send(form);
}

// With a job queue the server keeps the file and answers 202: a worker imports it, and its
// status URL says, once done, what the upload would have answered at once.
const POLL_MS = 1000;

function follow(item, url) {
  item.polling = window.setTimeout(async () => {
    item.polling = null;
    if (item.state !== "processing") return; // stopped meanwhile
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" } });
      const body = await answer.json();
      if (answer.ok && ["done", "failed"].includes(body.upload.state)) {
        settle(item, body.result_status, body.result);
      } else if (answer.ok) follow(item, url);
      else fail(item, errorOf(answer.status, body).message);
    } catch {
      follow(item, url); // a moment without the server: ask again
    }
  }, POLL_MS);
}

function settle(item, code, body) {
  item.xhr = null;
  if (code === 202 && body && body.upload) {
    item.state = "processing";
    show(item);
    follow(item, body.upload.url);
    pump();
    return;
  }
  if (code === 201 && body && body.photo) {
    item.state = "done"; // no number here: the album re-sorts by time as photos arrive
    store.put([body.photo]);
    store.resyncSoon();
    show(item, nearDuplicates([body.photo]));
  } else if ((code === 200 || code === 201) && body && body.photos) { // a zip's report
    settleZip(item, body);
  } else if (code === 409) {
    const known = store.byId(body?.error?.photo_id);
    item.state = "duplicate";
    item.message = known ? t("already in the album as photo %(number)s", { number: known.number }) : errorOf(code, body).message;
    show(item);
  } else {
    const error = errorOf(code, body);
    if (REFUSED.has(error.code) || [413, 415, 422].includes(code)) {
      item.state = "rejected";
      item.message = error.message;
      show(item);
    } else fail(item, error.message, false);
  }
  pump();
}

function settleZip(item, body) {
  const { photos, duplicates = [], rejected = [] } = body;
  store.put(photos);
  store.resyncSoon();
  item.state = "done";
  item.zip = true;
  item.message = tally(photos.length, duplicates.length, rejected.length);
  const already = t("already in the album");
  show(item, [
    ...duplicates.map((dup) => ["duplicate", `${dup.path}: ${already}`]),
    ...rejected.map((bad) => ["rejected", `${bad.path}: ${bad.error}`]),
    ...nearDuplicates(photos),
  ]);
}

// Culling's near-duplicates the server found for new photos: the same picture as an earlier
// photo (of any album), re-exported or resized; kept, and listed on /staff/near-duplicates.
function nearDuplicates(photos) {
  return photos.flatMap((photo) => (photo.duplicate_of || []).map((dup) => {
    const known = store.byId(dup.photo_id);
    return ["duplicate", known
      ? t("%(file)s looks like photo %(number)s of this album (a re-export or resized copy)", { file: photo.filename, number: known.number })
      : t("%(file)s looks like a photo of another album (a re-export or resized copy)", { file: photo.filename })];
  }));
}

function fail(item, message, next = true) {
  item.xhr = null;
  item.state = "failed";
  item.message = message;
  show(item);
  if (next) pump();
}

function stop(item) {
  if (item.xhr) item.xhr.abort(); // "abort" marks it failed, so it can be retried
  else if (item.state === "queued") fail(item, t("stopped"));
  else if (item.polling) { // on the server already: it goes on there; stop watching it
    window.clearTimeout(item.polling);
    fail(item, t("stopped"));
  }
}

function retry(item) {
  item.state = "queued";
  item.message = "";
  show(item);
  pump();
}

export function initUpload() {
  // Set here, not in the markup: `webkitdirectory` is no HTML attribute, only a property.
  document.getElementById("pick-folder").webkitdirectory = true;
  for (const id of ["pick-files", "pick-folder"]) {
    const input = document.getElementById(id);
    input.addEventListener("change", () => {
      add(fromFileList(input.files));
      input.value = "";
    });
  }
  // Files may be dropped anywhere on the page, so a near miss never opens the photo instead.
  document.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    document.body.classList.add("dragging-files");
  });
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) document.body.classList.remove("dragging-files");
  });
  document.addEventListener("drop", async (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    document.body.classList.remove("dragging-files");
    add(await fromDrop(event.dataTransfer));
  });
  retryFailed.addEventListener("click", () => items.filter((i) => i.state === "failed").forEach(retry));
  document.getElementById("clear-finished").addEventListener("click", () => {
    for (const item of items.filter(finished)) item.el.remove();
    items.splice(0, items.length, ...items.filter((item) => !finished(item)));
    summary.hidden = items.length === 0;
    scheduleSummary();
  });
  window.addEventListener("beforeunload", (event) => {
    if (items.some((item) => !finished(item) && item.state !== "failed")) event.preventDefault();
  });
}
