// Caption shortcuts: a code staff defined (`=dt=`) becomes its text as soon as its closing
// "=" is typed, in captions, titles, alt text and the bulk edit's value; Ctrl+Z in the
// field brings the code back. The codes are the installation's own (/staff/shortcuts).
import { api } from "./api.js";

const FIELDS = "textarea[data-field], input[data-field], #bulk-value, textarea[data-shortcuts], input[data-shortcuts]";
const CODE = /=[\p{L}\p{N}_.-]{1,38}=$/u; // gallery.culling.shortcuts.CODE
let known = null; // code -> text

export async function loadShortcuts() {
  try {
    const data = await api("GET", "/shortcuts");
    known = new Map(data.shortcuts.map((shortcut) => [shortcut.code, shortcut.text]));
  } catch {
    known = new Map(); // no shortcuts is no reason to stop typing
  }
}

// Replace the code that ends at the caret, if it is a known one; true if it did.
export function expandAt(field) {
  if (!known || !known.size || field.selectionStart !== field.selectionEnd) return false;
  const caret = field.selectionStart;
  const before = field.value.slice(0, caret);
  const match = CODE.exec(before);
  const text = match && known.get(match[0]);
  if (!text) return false;
  field.setSelectionRange(caret - match[0].length, caret);
  // As typing would: the field's own undo keeps the code, and "input" fires for savers.
  if (!document.execCommand?.("insertText", false, text)) {
    field.setRangeText(text, caret - match[0].length, caret, "end");
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
  return true;
}

export function watchShortcuts(root = document) {
  loadShortcuts();
  root.addEventListener("input", (event) => {
    if (!event.target.matches?.(FIELDS)) return;
    if (event.data === "=") expandAt(event.target);
    // Undo gives the code back selected; typing on must not replace it.
    else if (event.inputType === "historyUndo") {
      const end = event.target.selectionEnd;
      event.target.setSelectionRange(end, end);
    }
  });
}
