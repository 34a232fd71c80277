// The lightbox of article and album pages: a click on a photo opens it full screen.
// Keys: arrows move, Home/End jump, Esc closes, Tab stays inside; on touch, swipe sideways.
// The number and caption (a photo without one shows neither), credit, position and (on
// album pages) a link to the photo's own page are shown; the photos before and after are
// fetched ahead. A slideshow button moves on every few seconds until paused (any key or
// button pauses it too). In an article each label shows its own crop (8a and 8b differ).
// Without JavaScript the links still work: to the large rendition (articles) or to the
// photo page (albums).
//
// Markup: a container with `data-lightbox` ("pages" when its links lead to photo pages,
// the image then coming from the <img>'s srcset) holding `.lightbox-link` anchors with
// `data-label` (the number shown), optional `data-caption` (else the figure's
// figcaption), `data-credit` and `data-crop` ("x y w h" fractions of the photo). Words
// come from the container's data-*-label attributes.
(function () {
  "use strict";
  const SLIDE_SECONDS = 5;
  // A credit that carries its own prefix ("Foto: J. Bērziņš") gets none added (as
  // gallery/core/credit.py decides for the pages).
  const SAYS_ITSELF = /^\s*(?:(?:foto|photo|photos|fotogrāfs|fotogrāfe|fotogrāfija|photographer|attēls|bilde)\s*:|©)/i;

  function text(container, name, fallback) {
    return container.dataset[name + "Label"] || fallback;
  }

  function setUp(container) {
    const links = Array.from(container.querySelectorAll(".lightbox-link"));
    if (!links.length) return;
    const toPages = container.dataset.lightbox === "pages";
    let current = -1;
    let swipeX = null;
    let swipeY = null;

    const box = document.createElement("div");
    box.className = "lightbox";
    box.hidden = true;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-label", text(container, "dialog", "Photo viewer"));
    box.innerHTML =
      '<button type="button" class="close">×</button>' +
      '<button type="button" class="play" aria-pressed="false"></button>' +
      '<button type="button" class="prev">‹</button>' +
      '<figure><span class="lightbox-frame"><img alt=""></span><figcaption><p class="caption"></p>' +
      '<p class="lightbox-meta"><span class="counter"></span> <a class="page-link"></a></p>' +
      "</figcaption></figure>" +
      '<button type="button" class="next">›</button>';
    document.body.appendChild(box);
    const image = box.querySelector("img");
    const frame = box.querySelector(".lightbox-frame");
    const play = box.querySelector(".play");
    let timer = null;
    const caption = box.querySelector(".caption");
    const counter = box.querySelector(".counter");
    const pageLink = box.querySelector(".page-link");
    box.querySelector(".close").setAttribute("aria-label", text(container, "close", "Close"));
    box.querySelector(".prev").setAttribute("aria-label", text(container, "previous", "Previous"));
    box.querySelector(".next").setAttribute("aria-label", text(container, "next", "Next"));
    pageLink.textContent = text(container, "page", "Photo page");
    play.textContent = "▶ " + text(container, "play", "Slideshow");

    function item(index) {
      const link = links[index];
      const thumb = link.querySelector("img");
      const figure = link.closest("figure");
      const below = figure && figure.querySelector("figcaption");
      const words = link.dataset.caption !== undefined
        ? link.dataset.caption
        : (below ? below.textContent.trim() : "");
      const width = thumb ? Number(thumb.getAttribute("width")) : 0;
      const height = thumb ? Number(thumb.getAttribute("height")) : 0;
      return {
        src: toPages ? (thumb ? thumb.currentSrc || thumb.src : "") : link.href,
        srcset: thumb ? thumb.srcset : "",
        aspect: width && height ? width / height : 1.5,
        crop: link.dataset.crop ? link.dataset.crop.split(" ").map(Number) : null,
        cropAspect: Number(link.dataset.aspect) || 0,
        alt: thumb ? thumb.alt : "",
        caption: words,
        credit: link.dataset.credit || "",
        label: link.dataset.label || String(index + 1),
        page: toPages ? link.href : "",
      };
    }

    // How wide the photo will be drawn, so the browser picks the right srcset candidate.
    function drawnWidth(photo) {
      const wide = window.innerWidth * 0.94;
      const high = window.innerHeight * 0.78 * (photo.cropAspect || photo.aspect);
      const shown = Math.min(wide, high);
      const whole = photo.crop ? shown / photo.crop[2] : shown; // a crop is part of the photo
      return Math.round(whole) + "px";
    }

    // A crop shows through a frame of its own shape; the whole photo is placed behind it.
    function frameFor(photo) {
      const crop = photo.crop;
      const cropped = Boolean(crop && photo.cropAspect && (crop[2] < 0.999 || crop[3] < 0.999));
      frame.classList.toggle("cropped", cropped);
      if (!cropped) {
        Object.assign(frame.style, { width: "", height: "" });
        Object.assign(image.style, { left: "", top: "", width: "", height: "" });
        return;
      }
      const width = Math.min(window.innerWidth * 0.94, window.innerHeight * 0.78 * photo.cropAspect);
      Object.assign(frame.style, { width: width + "px", height: width / photo.cropAspect + "px" });
      const [x, y, w, h] = crop;
      Object.assign(image.style, {
        left: (-100 * x) / w + "%", top: (-100 * y) / h + "%", width: 100 / w + "%", height: 100 / h + "%",
      });
    }

    function load(target, photo) {
      target.sizes = drawnWidth(photo);
      target.srcset = photo.srcset;
      target.src = photo.src;
    }

    function show(index) {
      current = (index + links.length) % links.length;
      const photo = item(current);
      frameFor(photo);
      load(image, photo);
      image.alt = photo.alt;
      const prefix = text(container, "credit", "Photo:");
      const credit = !photo.credit ? "" : SAYS_ITSELF.test(photo.credit) ? photo.credit : prefix + " " + photo.credit;
      const words = [photo.caption, credit].filter(Boolean).join(" · ");
      // The number only beside words: a photo without caption or credit shows none.
      caption.textContent = words ? photo.label + ". " + words : "";
      caption.hidden = !words;
      counter.textContent = current + 1 + " / " + links.length;
      pageLink.hidden = !photo.page;
      if (photo.page) pageLink.href = photo.page;
      box.dataset.index = String(current);
      if (links.length > 1) {
        load(new Image(), item((current + 1) % links.length));
        load(new Image(), item((current - 1 + links.length) % links.length));
      }
    }

    function open(index) {
      show(index);
      box.hidden = false;
      document.documentElement.classList.add("lightbox-open");
      box.querySelector(".close").focus();
    }

    // Back on the page, the focus is on the photo last viewed, so the visitor keeps their
    // place in a long album (the photo it was opened from may be far up the page).
    function slideshow(on) {
      window.clearInterval(timer);
      timer = on ? window.setInterval(function () { show(current + 1); }, SLIDE_SECONDS * 1000) : null;
      play.setAttribute("aria-pressed", String(on));
      play.textContent = (on ? "❚❚ " : "▶ ") + text(container, on ? "pause" : "play", on ? "Pause" : "Slideshow");
    }

    function close() {
      slideshow(false);
      const viewed = links[current];
      box.hidden = true;
      current = -1;
      document.documentElement.classList.remove("lightbox-open");
      if (viewed) viewed.focus();
    }

    // Tab and Shift+Tab go round the viewer's own controls while it is open.
    function trapFocus(event) {
      const stops = Array.from(box.querySelectorAll("button, a[href]")).filter(function (el) {
        return !el.hidden;
      });
      const first = stops[0];
      const last = stops[stops.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        last.focus();
        event.preventDefault();
      } else if (!event.shiftKey && document.activeElement === last) {
        first.focus();
        event.preventDefault();
      }
    }

    links.forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
        event.preventDefault();
        open(index);
      });
    });
    box.querySelector(".close").addEventListener("click", close);
    box.querySelector(".prev").addEventListener("click", function () { slideshow(false); show(current - 1); });
    box.querySelector(".next").addEventListener("click", function () { slideshow(false); show(current + 1); });
    play.addEventListener("click", function () { slideshow(timer === null); });
    box.addEventListener("click", function (event) {
      if (event.target === box) close();
    });
    box.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "mouse") return;
      swipeX = event.clientX;
      swipeY = event.clientY;
    });
    box.addEventListener("pointerup", function (event) {
      if (swipeX === null) return;
      const dx = event.clientX - swipeX;
      const dy = event.clientY - swipeY;
      swipeX = null;
      if (Math.abs(dx) > 40 && Math.abs(dx) > 1.5 * Math.abs(dy)) {
        slideshow(false);
        show(current + (dx < 0 ? 1 : -1));
      }
    });
    box.addEventListener("pointercancel", function () { swipeX = null; });
    document.addEventListener("keydown", function (event) {
      if (box.hidden) return;
      if (event.key !== "Tab" && event.key !== "Enter" && event.key !== " ") slideshow(false);
      if (event.key === "Escape") close();
      else if (event.key === "ArrowRight") show(current + 1);
      else if (event.key === "ArrowLeft") show(current - 1);
      else if (event.key === "Home") show(0);
      else if (event.key === "End") show(links.length - 1);
      else if (event.key === "Tab") trapFocus(event);
      else return;
      if (event.key !== "Tab") event.preventDefault();
    });
  }

  document.querySelectorAll("[data-lightbox], .article").forEach(setUp);
})();
