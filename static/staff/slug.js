// The address's short name suggested from the title as it is typed, Latvian letters folded
// as the server folds them (ā -> a, č -> c, ļ -> l, ņ -> n, š -> s, ž -> z...): lowercase
// words of letters and digits joined by hyphens, the first eight words, at most 100
// characters. A short name typed by hand is left alone. `data-slug-target="placeholder"`
// shows the suggestion without filling the field (the server makes it when left empty).
export function slugify(text) {
  const folded = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const words = (folded.match(/[a-z0-9]+/g) || []).slice(0, 8);
  return words.join("-").slice(0, 100).replace(/^-+|-+$/g, "");
}

for (const form of document.querySelectorAll("[data-slug-form]")) {
  const source = form.querySelector("[data-slug-source]");
  const target = form.querySelector("[data-slug-target]");
  if (!source || !target) continue;
  const intoPlaceholder = target.dataset.slugTarget === "placeholder";
  let suggested = intoPlaceholder ? "" : target.value;
  const follow = () => !target.value || target.value === suggested;
  source.addEventListener("input", () => {
    const slug = slugify(source.value);
    if (intoPlaceholder) {
      target.placeholder = slug || target.dataset.placeholder || "";
      return;
    }
    if (follow()) target.value = slug;
    suggested = slug;
  });
  if (intoPlaceholder) target.dataset.placeholder = target.placeholder;
}
