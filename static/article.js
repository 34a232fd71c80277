// An article's rows of photos, laid out for the column's real width, crops placed exactly.
//
// The server sends each row laid out at the reference width (gallery/core/layout.py) and
// article.css shrinks it as one. Here, as static/justified.js does for albums, each row is
// laid out again: one common height, filling the width to the pixel, each photo showing
// its crop (data-crop "x y w h", fractions of the photo). On a narrow screen a row whose
// photos would get too small is broken into lines, the fewest that keep every photo at
// least MIN_WIDTH px wide and every line at least MIN_HEIGHT px high (a row of two on a
// phone usually stays a row; three or four become two lines). Sizes go through the CSSOM
// (element.style), which a Content-Security-Policy of style-src 'self' allows.
(function () {
  "use strict";
  const MIN_WIDTH = 120;
  const MIN_HEIGHT = 100;
  const article = document.querySelector(".article");
  if (!article) return;
  const gap = Number(article.dataset.gap) || 8;
  article.style.setProperty("--gap", gap + "px");
  const rows = Array.from(article.querySelectorAll(".photo-row")).map(function (row) {
    const cells = Array.from(row.querySelectorAll(".cell"));
    return {
      row: row,
      cells: cells,
      aspects: cells.map(function (cell) { return Number(cell.dataset.aspect) || 1.5; }),
      crops: cells.map(function (cell) { return (cell.dataset.crop || "0 0 1 1").split(" ").map(Number); }),
    };
  });

  function sum(list) {
    return list.reduce(function (a, b) { return a + b; }, 0);
  }

  // The common height of photos with these aspect ratios in one line `width` wide.
  function heightOf(aspects, width) {
    return (width - gap * (aspects.length - 1)) / sum(aspects);
  }

  function readable(aspects, width) {
    const height = heightOf(aspects, width);
    return height >= MIN_HEIGHT && aspects.every(function (a) { return a * height >= MIN_WIDTH; });
  }

  // The row in k lines of consecutive photos, as even in count as can be (5 -> 3 + 2).
  function split(count, k) {
    const lines = [];
    let start = 0;
    for (let i = 0; i < k; i++) {
      const size = Math.ceil((count - start) / (k - i));
      lines.push([start, start + size]);
      start += size;
    }
    return lines;
  }

  // The fewest lines in which every photo stays readable (one photo a line at worst).
  function breakRow(aspects, width) {
    for (let k = 1; k < aspects.length; k++) {
      const lines = split(aspects.length, k);
      if (lines.every(function (line) { return readable(aspects.slice(line[0], line[1]), width); })) return lines;
    }
    return split(aspects.length, aspects.length);
  }

  // Whole pixels that add up to `total`, shared by largest remainder (as layout.py does).
  function widths(aspects, total) {
    const all = sum(aspects);
    const exact = aspects.map(function (a) { return (a * total) / all; });
    const whole = exact.map(Math.floor);
    let short = total - sum(whole);
    const order = whole.map(function (_, i) { return i; }).sort(function (a, b) {
      return (whole[a] - exact[a]) - (whole[b] - exact[b]) || a - b;
    });
    for (let k = 0; short > 0; k++, short--) whole[order[k]] += 1;
    return whole;
  }

  function place(cell, crop, width, height) {
    const [x, y, w, h] = crop;
    cell.style.width = width + "px";
    const frame = cell.querySelector(".frame");
    frame.style.height = height + "px";
    const img = frame.querySelector("img");
    Object.assign(img.style, {
      left: (-100 * x) / w + "%", top: (-100 * y) / h + "%", width: 100 / w + "%", height: 100 / h + "%",
    });
    img.sizes = Math.max(1, Math.round(width / w)) + "px";
  }

  function layout() {
    rows.forEach(function (item) {
      const width = Math.floor(item.row.getBoundingClientRect().width);
      if (width <= 0) return;
      breakRow(item.aspects, width).forEach(function (line) {
        const aspects = item.aspects.slice(line[0], line[1]);
        const height = Math.max(1, Math.round(heightOf(aspects, width)));
        widths(aspects, width - gap * (aspects.length - 1)).forEach(function (w, k) {
          place(item.cells[line[0] + k], item.crops[line[0] + k], w, height);
        });
      });
      item.row.classList.add("is-laid-out");
    });
  }

  let laidWidth = 0;
  new ResizeObserver(function () {
    const width = Math.floor(article.getBoundingClientRect().width);
    if (width !== laidWidth) {
      laidWidth = width;
      layout();
    }
  }).observe(article);
})();
