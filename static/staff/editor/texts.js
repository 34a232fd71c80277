// The editor's texts, translated by the server (data-texts on #editor), with %(name)s filled in.
const root = document.getElementById("editor");
const texts = JSON.parse(root.dataset.texts || "{}");

export function t(key, values = {}) {
  const text = texts[key] || key;
  return text.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function has(key) {
  return key in texts;
}
