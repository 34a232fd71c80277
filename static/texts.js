// The scripts' words in the page's language, from the same catalog as the pages:
//   t("Saved.")   t("Label %(label)s shows photo %(number)s.", {label, number})
//   nt("%(num)d photo", "%(num)d photos", count)
// scripts/translations finds these calls in static/ (so t and nt take literal texts); the
// server puts their translations in the page as <script type="application/json"
// id="js-texts"> (gallery/web/i18n.py), with the name of the language's plural rule.
const block = document.getElementById("js-texts");
const data = block ? JSON.parse(block.textContent) : { texts: {}, plural: "en" };

// gettext's plural rules: which form a count takes (Latvian has three: 1 and 21, 2-20, 0).
const RULES = {
  en: (n) => (n === 1 ? 0 : 1),
  lv: (n) => (n % 10 === 1 && n % 100 !== 11 ? 0 : n !== 0 ? 1 : 2),
};

function fill(text, values) {
  return text.replace(/%\((\w+)\)[sd]/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function t(text, values = {}) {
  const found = data.texts[text];
  return fill(typeof found === "string" && found ? found : text, values);
}

export function nt(singular, plural, n, values = {}) {
  const forms = data.texts[singular];
  const rule = RULES[data.plural] || RULES.en;
  const text = Array.isArray(forms) && forms.length ? forms[Math.min(rule(n), forms.length - 1)] : RULES.en(n) ? plural : singular;
  return fill(text, { num: n, ...values });
}

export const language = data.lang || document.documentElement.lang || "en";
