// The article editor: the text on the left, the live layout and its problems on the right,
// the album's contact sheet below, a dialog per label for its crop and caption.
//
// Every change goes through the article API, whose answer (article, problems, layout) is
// drawn whole. Typing re-lays the text out through the preview endpoint (debounced, nothing
// saved); Save, Publish and the album choice write it. Downloads save unsaved text first.
//
// Decisions where the issue was silent:
// - The preview is the article at its real column width (ARTICLE_WIDTH) scaled to the
//   pane, so rows look as on the page; paragraphs are shortened to four lines there.
// - Publishing saves the text and title as shown; so do Export and Press kit (they are
//   files of the saved article). Changing the album saves at once.
// - A click on a photo assigns it (keeping the crop if the label already shows it); in row
//   mode a photo gets the label it already has, else its number, else its number with the
//   first free letter (photos of other albums are assigned that label when inserted).
// - Problem messages are translated by their code; a click on one selects its label in the
//   text, or opens the label when it stands in no row.
import { announce, api } from "../api.js";
import { initCrop } from "./crop.js";
import { initPicker, markUsage } from "./picker.js";
import { drawPreview, drawProblems } from "./preview.js";
import { selectLabel } from "./text.js";
import { t } from "../../texts.js";

const root = document.getElementById("editor");
const area = document.getElementById("article-body");
const title = document.getElementById("article-title");
const albumSelect = document.getElementById("article-album");
const saveState = document.getElementById("save-state");
const publishButton = document.getElementById("publish");
const base = `/articles/${encodeURIComponent(root.dataset.slug)}`;
const maxRow = Number(root.dataset.maxRow);
const DELAY = 300; // ms of quiet typing before the layout is asked for

let answer = null;
let saved = { body: area.value, title: title.value };
let asked = 0; // the newest preview asked for; older answers are dropped
let timer = null;

const isDirty = () => area.value !== saved.body || title.value !== saved.title;

function showState(text) {
  saveState.textContent = text ?? (isDirty() ? t("Unsaved changes") : "");
}

function render(next) {
  answer = next;
  const status = next.article.status;
  root.dataset.status = status;
  document.getElementById("article-status").textContent = status === "published" ? t("published") : t("draft");
  publishButton.textContent = status === "published" ? t("Unpublish") : t("Publish");
  drawPreview(next, openLabel);
  drawProblems(next, maxRow, pickProblem);
  markUsage(next.article.labels);
  root.dataset.ready = "true"; // for tests: an answer is drawn
}

function failed(error) {
  announce(t("Not done: %(message)s", { message: error.message }));
  showState();
}

async function preview() {
  window.clearTimeout(timer);
  const mine = ++asked;
  try {
    const next = await api("POST", `${base}/preview`, { body: area.value });
    if (mine === asked) render(next);
  } catch (error) {
    if (mine === asked) failed(error);
  }
}

function schedulePreview() {
  showState();
  window.clearTimeout(timer);
  timer = window.setTimeout(preview, DELAY);
}

// Write and redraw; with unsaved text the answer (of the saved text) is laid out again
// from the text as typed. Resolves true when done; says what happened either way.
async function write(method, path, body, said) {
  try {
    const next = await api(method, base + path, body);
    if (isDirty()) await preview();
    else render(next);
    if (said) announce(said);
    return true;
  } catch (error) {
    failed(error);
    return false;
  }
}

async function save(extra = {}, said = t("Saved.")) {
  const sent = { body: area.value, title: title.value };
  showState(t("Saving…"));
  try {
    const next = await api("PATCH", base, { ...sent, ...extra });
    saved = sent;
    asked++; // a preview still on its way is older than this answer
    render(next);
    showState();
    announce(said);
    return true;
  } catch (error) {
    failed(error);
    return false;
  }
}

function togglePublish() {
  const publish = root.dataset.status !== "published";
  save({ status: publish ? "published" : "draft" }, publish ? t("The article is published.") : t("The article is a draft again."));
}

async function changeAlbum() {
  const option = albumSelect.selectedOptions[0];
  const said = t("The labels now mean the photos of %(album)s.", { album: option ? option.textContent : "" });
  if (!(await write("PATCH", "", { album: albumSelect.value || null }, said))) return;
  const sheet = document.getElementById("contact-sheet");
  sheet.hidden = !albumSelect.value;
  sheet.href = sheet.dataset.pattern.replace("--album--", encodeURIComponent(albumSelect.value));
}

// Downloads are of the saved article: save typed text first.
async function download(event) {
  if (!isDirty()) return;
  event.preventDefault();
  if (await save()) window.location.assign(event.currentTarget.href);
}

function openLabel(label) {
  return ctx.openLabel(label);
}

// A problem's label: show where it stands in the text, else open the label.
function pickProblem(problem, label) {
  const first = (label || "").split(" ")[0];
  if (!first || !selectLabel(area, first)) openLabel(first);
}

const ctx = {
  root,
  area,
  write,
  announce,
  answer: () => answer,
  labels: () => (answer ? answer.article.labels : {}),
  album: () => (answer ? answer.article.album : root.dataset.album),
  openLabel: () => false, // set by initCrop
};

function init() {
  initCrop(ctx);
  initPicker(ctx);
  area.addEventListener("input", schedulePreview);
  title.addEventListener("input", () => showState());
  document.getElementById("save").addEventListener("click", () => save());
  publishButton.addEventListener("click", togglePublish);
  albumSelect.addEventListener("change", changeAlbum);
  for (const link of document.querySelectorAll("#export, #export-fragment, #press-kit")) link.addEventListener("click", download);
  root.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      save();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (isDirty()) event.preventDefault();
  });
  preview();
}

init();
