// The article's lightbox: a click on a photo opens it large; Esc closes, arrow keys move.
// Without JavaScript the links still open the large rendition.
(function () {
  "use strict";
  const links = Array.from(document.querySelectorAll(".article .lightbox-link"));
  if (!links.length) return;
  const article = document.querySelector(".article");
  const creditLabel = (article && article.dataset.creditLabel) || "Photo:";
  let current = -1;
  let opener = null;

  const box = document.createElement("div");
  box.className = "lightbox";
  box.hidden = true;
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-modal", "true");
  box.innerHTML =
    '<button type="button" class="close" aria-label="Close">×</button>' +
    '<button type="button" class="prev" aria-label="Previous">‹</button>' +
    '<img alt=""><p class="caption"></p>' +
    '<button type="button" class="next" aria-label="Next">›</button>';
  document.body.appendChild(box);
  const image = box.querySelector("img");
  const caption = box.querySelector(".caption");

  function show(index) {
    current = (index + links.length) % links.length;
    const link = links[current];
    image.src = link.href;
    image.alt = link.querySelector("img").alt;
    const credit = link.dataset.credit ? creditLabel + " " + link.dataset.credit : "";
    const texts = [link.dataset.caption, credit].filter(Boolean).join(" · ");
    caption.textContent = link.dataset.label + "." + (texts ? " " + texts : "");
    box.dataset.index = String(current);
  }

  function open(index) {
    opener = document.activeElement;
    show(index);
    box.hidden = false;
    box.querySelector(".close").focus();
  }

  function close() {
    box.hidden = true;
    current = -1;
    if (opener) opener.focus();
  }

  links.forEach(function (link, index) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      open(index);
    });
  });
  box.querySelector(".close").addEventListener("click", close);
  box.querySelector(".prev").addEventListener("click", function () { show(current - 1); });
  box.querySelector(".next").addEventListener("click", function () { show(current + 1); });
  box.addEventListener("click", function (event) {
    if (event.target === box) close();
  });
  document.addEventListener("keydown", function (event) {
    if (box.hidden) return;
    if (event.key === "Escape") close();
    else if (event.key === "ArrowRight") show(current + 1);
    else if (event.key === "ArrowLeft") show(current - 1);
  });
})();
