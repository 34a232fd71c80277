// The header's menu on narrow screens: one button shows and hides the navigation, search
// and languages. Loaded in <head> (not deferred) so the page is drawn collapsed from the
// start; without scripts the menu simply stays open (site.css keys on the "js" class).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    const header = document.querySelector(".site-header");
    const toggle = header && header.querySelector(".menu-toggle");
    if (!toggle) return;
    toggle.hidden = false;
    function set(open) {
      header.classList.toggle("open", open);
      toggle.setAttribute("aria-expanded", String(open));
    }
    toggle.addEventListener("click", function () {
      set(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("open")) {
        set(false);
        toggle.focus();
      }
    });
  });
})();
