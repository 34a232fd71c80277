// An album page's justified rows, laid out again for the page's real width.
//
// The server already sends rows that fill the widest column (gallery/justify.py), and
// site CSS shrinks them; that is the page without JavaScript. Here the same greedy rule
// breaks the rows for the width there really is, with lower rows on a phone, and again
// whenever the width changes. Every row but the last fills the width to the pixel at one
// height; the last keeps the target height. Sizes are set through element.style (from
// this file, which a Content-Security-Policy of style-src 'self' allows).
(function () {
  "use strict";
  const grid = document.querySelector(".justified");
  if (!grid) return;
  const tiles = Array.from(grid.querySelectorAll(".tile"));
  const aspects = tiles.map(function (tile) {
    const img = tile.querySelector("img");
    const width = Number(img.getAttribute("width"));
    const height = Number(img.getAttribute("height"));
    return width > 0 && height > 0 ? width / height : 1;
  });
  const gap = Number(grid.dataset.gap) || 4;
  const rowHeight = Number(grid.dataset.rowHeight) || 220;

  function heightOf(start, end, width) {
    const inner = width - gap * (end - start - 1);
    let sum = 0;
    for (let i = start; i < end; i++) sum += aspects[i];
    return inner >= end - start ? inner / sum : 0;
  }

  function nearer(candidate, other, target) {
    if (candidate <= 0) return false;
    return Math.abs(Math.log(candidate / target)) <= Math.abs(Math.log(other / target));
  }

  // The same rule as gallery/justify.py's break_rows: [start, end) of each row.
  function breakRows(width, target) {
    const rows = [];
    let start = 0;
    for (let end = 1; end <= aspects.length; end++) {
      const withIt = heightOf(start, end, width);
      if (withIt > target) continue;
      const without = end - 1 > start ? heightOf(start, end - 1, width) : 0;
      if (without && !nearer(withIt, without, target)) {
        rows.push([start, end - 1]);
        start = end - 1;
        if (heightOf(start, end, width) <= target) {
          rows.push([start, end]);
          start = end;
        }
      } else {
        rows.push([start, end]);
        start = end;
      }
    }
    if (start < aspects.length) rows.push([start, aspects.length]);
    return rows;
  }

  // Whole pixels that add up to `total`, shared by largest remainder (as layout.py does).
  function split(start, end, total) {
    let sum = 0;
    for (let i = start; i < end; i++) sum += aspects[i];
    const exact = [];
    const widths = [];
    for (let i = start; i < end; i++) {
      exact.push((aspects[i] * total) / sum);
      widths.push(Math.floor(exact[exact.length - 1]));
    }
    let short = total - widths.reduce(function (a, b) { return a + b; }, 0);
    const order = widths.map(function (_, i) { return i; }).sort(function (a, b) {
      return (widths[a] - exact[a]) - (widths[b] - exact[b]) || a - b;
    });
    for (let k = 0; short > 0; k++, short--) widths[order[k]] += 1;
    return widths;
  }

  function place(index, width, height) {
    const tile = tiles[index];
    tile.style.width = width + "px";
    tile.style.height = height + "px";
    tile.querySelector("img").sizes = width + "px";
  }

  function layout() {
    const width = Math.floor(grid.getBoundingClientRect().width);
    if (width <= 0) return;
    const target = width < 600 ? Math.round(rowHeight * 0.6) : rowHeight;
    breakRows(width, target).forEach(function (row) {
      const [start, end] = row;
      const exact = heightOf(start, end, width);
      if (end === aspects.length && exact > target) {
        for (let i = start; i < end; i++) place(i, Math.max(1, Math.round(aspects[i] * target)), target);
        return;
      }
      const height = Math.max(1, Math.floor(exact + 0.5));
      split(start, end, width - gap * (end - start - 1)).forEach(function (w, k) {
        place(start + k, w, height);
      });
    });
    grid.classList.add("is-laid-out");
  }

  let laidWidth = 0;
  const watcher = new ResizeObserver(function () {
    const width = Math.floor(grid.getBoundingClientRect().width);
    if (width !== laidWidth) {
      laidWidth = width;
      layout();
    }
  });
  watcher.observe(grid);
})();
