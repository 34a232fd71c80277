// The label dialog: which photo a label shows, its crop and its caption in this article.
// Crops are fractions of the photo, as gallery/articles.py keeps them: a shape (aspect
// ratio) kept around a focal point, or a free rectangle. Pointer and keyboard both work:
// with a shape a click (or arrow keys) moves the focal point; free, the rectangle is dragged,
// resized by its corner, or drawn anew, and arrow keys move it (Shift+arrows resize it).
import { t } from "../../texts.js";

const dialog = document.getElementById("label-dialog");
const stage = document.getElementById("crop-stage");
const image = document.getElementById("crop-image");
const rectEl = document.getElementById("crop-rect");
const focus = document.getElementById("crop-focus");
const upright = document.getElementById("crop-upright");
const caption = document.getElementById("label-caption");
const shapes = Array.from(dialog.querySelectorAll("input[name=crop-shape]"));
const MIN = 0.02;
const STEP = 0.02;

let current = null; // {label, info, shape: "none"|"free"|number, fx, fy, rect: [x, y, w, h]}

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

// The crop's rectangle in fractions of a width x height photo (as Crop.rect on the server).
export function cropRect(crop, width, height) {
  if (!crop) return [0, 0, 1, 1];
  if (crop.aspect == null) return [crop.x ?? 0, crop.y ?? 0, crop.w ?? 1, crop.h ?? 1];
  const photo = width / height;
  const fx = crop.fx ?? 0.5;
  const fy = crop.fy ?? 0.5;
  if (crop.aspect < photo) {
    const w = crop.aspect / photo;
    return [clamp(fx - w / 2, 0, 1 - w), 0, w, 1];
  }
  const h = photo / crop.aspect;
  return [0, clamp(fy - h / 2, 0, 1 - h), 1, h];
}

function aspect() {
  const base = Number(current.shape);
  return upright.checked && base !== 1 ? 1 / base : base;
}

function crop() {
  if (current.shape === "none") return null;
  if (current.shape === "free") {
    const [x, y, w, h] = current.rect.map((v) => Math.round(v * 10000) / 10000);
    return { x, y, w, h };
  }
  return { aspect: Math.round(aspect() * 1e6) / 1e6, fx: current.fx, fy: current.fy };
}

function draw() {
  const { info } = current;
  const shown = current.shape === "free" ? current.rect : cropRect(crop(), info.width, info.height);
  if (current.shape !== "free") current.rect = shown;
  const [x, y, w, h] = shown;
  Object.assign(rectEl.style, { left: `${x * 100}%`, top: `${y * 100}%`, width: `${w * 100}%`, height: `${h * 100}%` });
  rectEl.classList.toggle("free", current.shape === "free");
  focus.hidden = current.shape === "none" || current.shape === "free";
  Object.assign(focus.style, { left: `${current.fx * 100}%`, top: `${current.fy * 100}%` });
}

// The shape radio that matches a saved crop (a preset ratio, turned upright or not).
function shapeOf(saved) {
  if (!saved) return "none";
  if (saved.aspect == null) return "free";
  for (const input of shapes) {
    const value = Number(input.value);
    if (!value) continue;
    if (Math.abs(value - saved.aspect) < 0.01) return input.value;
    if (Math.abs(1 / value - saved.aspect) < 0.01) { upright.checked = true; return input.value; }
  }
  return "free";
}

// The photo as large as the dialog allows, at its own aspect ratio.
function fitStage(info) {
  const room = stage.parentElement.clientWidth - 16;
  const scale = Math.min(room / info.width, Math.min(window.innerHeight * 0.55, 520) / info.height);
  stage.style.width = `${Math.round(info.width * scale)}px`;
  stage.style.height = `${Math.round(info.height * scale)}px`;
}

function point(event) {
  const box = stage.getBoundingClientRect();
  return [clamp((event.clientX - box.left) / box.width, 0, 1), clamp((event.clientY - box.top) / box.height, 0, 1)];
}

// Pointer gestures: "focal" (a shape), "move", "resize" or "draw" (free).
function startDrag(event) {
  if (!current || current.shape === "none" || event.button !== 0) return;
  event.preventDefault();
  const [px, py] = point(event);
  const [x, y, w, h] = current.rect;
  let gesture = "focal";
  if (current.shape === "free") {
    const inside = px >= x && px <= x + w && py >= y && py <= y + h;
    const whole = w > 0.98 && h > 0.98; // nothing to move: draw a new rectangle
    if (event.target.id === "crop-handle") gesture = "resize";
    else gesture = inside && !whole ? "move" : "draw";
  }
  const start = { px, py, rect: [x, y, w, h] };
  const move = (e) => drag(gesture, start, point(e));
  const stop = () => { stage.removeEventListener("pointermove", move); stage.removeEventListener("pointerup", stop); };
  stage.setPointerCapture(event.pointerId);
  stage.addEventListener("pointermove", move);
  stage.addEventListener("pointerup", stop);
  drag(gesture, start, [px, py]);
}

function drag(gesture, start, [px, py]) {
  const [x, y, w, h] = start.rect;
  if (gesture === "focal") { current.fx = px; current.fy = py; }
  if (gesture === "move") {
    current.rect = [clamp(x + px - start.px, 0, 1 - w), clamp(y + py - start.py, 0, 1 - h), w, h];
  }
  if (gesture === "resize") current.rect = [x, y, clamp(px - x, MIN, 1 - x), clamp(py - y, MIN, 1 - y)];
  if (gesture === "draw") {
    const left = Math.min(px, start.px);
    const top = Math.min(py, start.py);
    current.rect = [left, top, Math.max(Math.abs(px - start.px), MIN), Math.max(Math.abs(py - start.py), MIN)];
    current.rect[2] = Math.min(current.rect[2], 1 - left);
    current.rect[3] = Math.min(current.rect[3], 1 - top);
  }
  draw();
}

const KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function onKey(event) {
  const step = KEYS[event.key];
  if (!current || !step || current.shape === "none") return;
  event.preventDefault();
  const [dx, dy] = [step[0] * STEP, step[1] * STEP];
  if (current.shape !== "free") {
    current.fx = clamp(current.fx + dx, 0, 1);
    current.fy = clamp(current.fy + dy, 0, 1);
  } else {
    const [x, y, w, h] = current.rect;
    current.rect = event.shiftKey
      ? [x, y, clamp(w + dx, MIN, 1 - x), clamp(h + dy, MIN, 1 - y)]
      : [clamp(x + dx, 0, 1 - w), clamp(y + dy, 0, 1 - h), w, h];
  }
  draw();
}

function chooseShape() {
  const chosen = shapes.find((input) => input.checked);
  if (current.shape === "free") { // a shape keeps the free rectangle's centre in view
    const [x, y, w, h] = current.rect;
    current.fx = x + w / 2;
    current.fy = y + h / 2;
  }
  const before = current.shape;
  current.shape = chosen ? chosen.value : "none";
  if (current.shape === "free" && before === "none") current.rect = [0.1, 0.1, 0.8, 0.8];
  draw();
}

export function initCrop(ctx) {
  stage.addEventListener("pointerdown", startDrag);
  rectEl.addEventListener("keydown", onKey);
  for (const input of [...shapes, upright]) input.addEventListener("change", chooseShape);
  document.getElementById("label-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("label-save").addEventListener("click", async () => {
    const body = { photo_id: current.info.photo_id, crop: crop(), caption: caption.value.trim() || null };
    const label = current.label;
    if (await ctx.write("PUT", `/labels/${encodeURIComponent(label)}`, body, t("The crop and caption of %(label)s are saved.", { label }))) dialog.close();
  });
  document.getElementById("label-forget").addEventListener("click", async () => {
    const label = current.label;
    if (await ctx.write("DELETE", `/labels/${encodeURIComponent(label)}`, undefined, t("Label %(label)s no longer shows a photo.", { label }))) dialog.close();
  });
  dialog.addEventListener("close", () => { current = null; });

  // Open the dialog for a label that shows a photo.
  ctx.openLabel = (label) => {
    const info = ctx.labels()[label];
    if (!info || !info.photo_id) return false;
    upright.checked = false;
    const shape = shapeOf(info.crop);
    current = {
      label, info, shape,
      fx: info.crop && info.crop.fx != null ? info.crop.fx : 0.5,
      fy: info.crop && info.crop.fy != null ? info.crop.fy : 0.5,
      rect: info.rect ? [...info.rect] : [0, 0, 1, 1],
    };
    for (const input of shapes) input.checked = input.value === shape;
    caption.value = info.caption || "";
    const largest = info.renditions[info.renditions.length - 1];
    image.src = largest ? largest.url : "";
    document.getElementById("label-dialog-title").textContent = t("Label %(label)s: photo %(number)s of %(album)s", { label, number: info.number, album: info.album });
    dialog.showModal();
    fitStage(info);
    draw();
    rectEl.focus();
    return true;
  };
}
