// The body textarea: put text at the cursor (undoable), find a label, read the row lines.
const LABEL = /^[0-9]{1,3}[a-z]?$/i;
const SPACES = /[\s\u00a0\u200b\u200c\u200d\u2060\ufeff]+/;

export const ROW_GAP = "    "; // labels in a row are separated as in the seed article

// The labels of a line if it is a row of photos (as gallery/articles.py reads it), else null.
export function rowLabels(line) {
  const tokens = line.split(SPACES).filter(Boolean);
  return tokens.length && tokens.every((token) => LABEL.test(token)) ? tokens.map((x) => x.toLowerCase()) : null;
}

// Every label standing in a row of the text.
export function placedLabels(text) {
  return text.split(/\r\n|\r|\n/).flatMap((line) => rowLabels(line) || []);
}

// Replace the selection with `text` so that Ctrl+Z undoes it (execCommand keeps the undo
// history of a textarea; setRangeText is the fallback where it is gone).
function insertAtSelection(area, text) {
  area.focus();
  if (!document.execCommand || !document.execCommand("insertText", false, text)) {
    area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

// Insert a row line at the cursor: after the cursor's line, with a blank line around it.
export function insertRow(area, labels) {
  const value = area.value;
  let at = value.indexOf("\n", area.selectionEnd);
  if (at < 0) at = value.length;
  const before = value.slice(0, at);
  const after = value.slice(at);
  const lead = before.trim() === "" ? "" : before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
  const trail = after.startsWith("\n\n") ? "" : after.startsWith("\n") ? "\n" : after ? "\n\n" : "\n";
  area.setSelectionRange(at, at);
  insertAtSelection(area, lead + labels.join(ROW_GAP) + trail);
}

// Select the first place where a label stands in a row (to show it, or to fix it).
export function selectLabel(area, label) {
  const lines = area.value.split("\n");
  let offset = 0;
  for (const line of lines) {
    const labels = rowLabels(line);
    if (labels && labels.includes(label)) {
      const match = new RegExp(`(^|[\\s\\u00a0])(${label})(?=[\\s\\u00a0]|$)`, "i").exec(line);
      if (match) {
        const start = offset + match.index + match[1].length;
        area.focus();
        area.setSelectionRange(start, start + label.length);
        return true;
      }
    }
    offset += line.length + 1;
  }
  return false;
}
