// The live preview beside the text: paragraphs and rows in reading order, each row drawn
// from the server's layout boxes (scaled to the column), each photo with its crop; and the
// problems list, each problem naming its label. Boxes and problem labels open the label.
import { t } from "../../texts.js";

const preview = document.getElementById("preview");
const problemList = document.getElementById("problems");
const layoutError = document.getElementById("layout-error");

function percent(part, whole) {
  return `${(100 * part) / whole}%`;
}

// The image inside a box, placed so that only the crop shows (as gallery/article_html.py).
function photoImage(info, drawnWidth) {
  const [x, y, w, h] = info.rect;
  const img = document.createElement("img");
  img.alt = info.alt_text || "";
  img.draggable = false;
  const ladder = info.renditions || [];
  if (ladder.length) {
    img.src = ladder[0].url;
    img.srcset = ladder.map((r) => `${r.url} ${r.width}w`).join(", ");
    img.sizes = `${Math.max(1, Math.round(drawnWidth / w))}px`;
  }
  Object.assign(img.style, {
    left: percent(-x, w), top: percent(-y, h), width: percent(1, w), height: percent(1, h),
  });
  return img;
}

function box(boxData, layout, info, flagged, open) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "preview-box";
  if (flagged.has(boxData.label)) button.classList.add("flagged");
  button.dataset.label = boxData.label;
  button.setAttribute("aria-label", t("Label %(label)s: crop and caption", { label: boxData.label }));
  Object.assign(button.style, {
    left: percent(boxData.x, layout.width), width: percent(boxData.width, layout.width),
  });
  const drawn = (preview.clientWidth * boxData.width) / layout.width;
  button.append(photoImage(info, drawn));
  const tag = document.createElement("span");
  tag.className = "box-label";
  tag.textContent = boxData.label;
  button.append(tag);
  button.addEventListener("click", () => open(boxData.label));
  return button;
}

function row(boxes, layout, labels, flagged, open) {
  const element = document.createElement("div");
  element.className = "preview-row";
  element.style.aspectRatio = `${layout.width} / ${boxes[0].height}`;
  element.style.marginBottom = percent(layout.gap, layout.width);
  for (const b of boxes) element.append(box(b, layout, labels[b.label], flagged, open));
  return element;
}

function missing(labels) {
  const line = document.createElement("p");
  line.className = "preview-missing";
  line.textContent = labels.map((label) => t("%(label)s: no photo", { label })).join(" · ");
  return line;
}

function paragraph(text) {
  const p = document.createElement("p");
  p.className = "preview-text";
  p.textContent = text;
  return p;
}

// Draw the article: a layout row for every text row that shows at least one photo (the
// server drops the others, in the same order), and a note for labels without a photo.
export function drawPreview(answer, open) {
  const { article, layout } = answer;
  const flagged = new Set(article.problems.map((p) => p.label).filter(Boolean));
  const parts = [];
  let next = 0;
  for (const block of article.blocks) {
    if ("paragraph" in block) {
      parts.push(paragraph(block.paragraph));
      continue;
    }
    const shown = block.row.filter((label) => article.labels[label] && article.labels[label].photo_id);
    const absent = block.row.filter((label) => !shown.includes(label));
    if (shown.length && layout.rows[next]) parts.push(row(layout.rows[next++], layout, article.labels, flagged, open));
    if (absent.length) parts.push(missing(absent));
  }
  preview.replaceChildren(...parts);
  layoutError.hidden = !layout.error;
  layoutError.textContent = layout.error ? t("The rows cannot be drawn: %(message)s", { message: layout.error }) : "";
}

// A problem in the reader's words; rows too wide are named by their labels (the server
// lists them in reading order, so they pair with the text's rows that are too long).
const PROBLEMS = {
  unknown_label: (v) => t("%(label)s has no photo: pick one below, or fix the number in the text", v),
  duplicate_label: (v) => t("%(label)s stands in more than one place", v),
  unplaced: (v) => t("%(label)s has a photo but stands in no row", v),
  row_too_wide: (v) => t("The row %(label)s has more than %(max)s photos: they get too small to read", v),
  missing_alt: (v) => t("%(label)s: the photo has no alt text (add it on the album page)", v),
  hidden_photo: (v) => t("%(label)s: visitors may not see this photo (album not public, or no consent)", v),
  same_photo: (v) => t("%(label)s shows the same photo as another label, the same way: crop or reassign one", v),
};

function problemText(problem, label, maxRow) {
  const say = PROBLEMS[problem.code];
  return say ? say({ label, max: maxRow }) : problem.message;
}

export function drawProblems(answer, maxRow, onPick) {
  const { article } = answer;
  const wide = article.blocks.filter((b) => b.row && b.row.length > maxRow).map((b) => b.row);
  let wideIndex = 0;
  const items = article.problems.map((problem) => {
    let label = problem.label;
    if (problem.code === "row_too_wide") label = (wide[wideIndex++] || []).join(" ");
    const item = document.createElement("li");
    item.dataset.code = problem.code;
    item.dataset.label = label || "";
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "problem-label";
    chip.textContent = label || "?";
    chip.title = problem.message;
    chip.addEventListener("click", () => onPick(problem, label));
    const text = document.createElement("span");
    text.textContent = problemText(problem, label, maxRow);
    item.append(chip, " ", text);
    return item;
  });
  problemList.replaceChildren(...items);
  document.getElementById("no-problems").hidden = items.length > 0;
  document.getElementById("problem-count").textContent = items.length ? `(${items.length})` : "";
}
