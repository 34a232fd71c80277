"""Whether two small renditions show the same exposure, allowing for a light crop.

A near-duplicate is the same picture again: resized, recompressed, or with a few per cent
cut off its sides. Its perceptual hash can be as far from the original's as a burst's next
frame (a crop moves it as much as a small pan does), so candidates found by hash are
checked on pixels: the cut is found (each side 0-8 %, from the rows' and columns' mean
brightness, then side by side on the pixels), the original is cut and scaled the same way,
and the mean difference of what is left is the verdict. A re-export differs by its
compression only (under 0.7 grey levels in 255 at 160 px, softened a little); a burst's
next frame by its motion, its exposure and its own sensor noise (above 1.2; measured by
bench/culling.py).

Pure numpy over Pillow pictures; the caller reads the renditions and `prepare`s them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

WIDTH = 160  # both pictures are compared this wide
MAX_CUT = 0.08  # at most this much cut off each side
CUT_STEP = 0.005
SAME = 0.9  # mean grey difference at or under which two pictures are the same one
# Fitted by the profiles alone a re-export differs by under 1.7 (measured); above this the
# fit is not refined: the pair is another picture, found in a millisecond or two.
REFINE_BELOW = 3 * SAME
_CUTS = np.arange(0.0, MAX_CUT + CUT_STEP / 2, CUT_STEP, dtype=np.float32)
_SOFTEN = ImageFilter.GaussianBlur(1)


@dataclass(frozen=True)
class Prepared:
    """What the comparison needs of one picture, made once (a burst's frames meet often)."""

    grey: Image.Image  # the picture in greyscale, as read
    target: np.ndarray  # WIDTH wide, softened: what the other picture is fitted to
    columns: np.ndarray  # mean brightness of each column and row at WIDTH wide
    rows: np.ndarray


def prepare(image: Image.Image) -> Prepared:
    grey = image if image.mode == "L" else image.convert("L")
    height = max(8, round(grey.height * WIDTH / grey.width))
    small = grey.resize((WIDTH, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(small, dtype=np.float32)
    return Prepared(grey, _soft(small), pixels.mean(axis=0), pixels.mean(axis=1))


def difference(original: Prepared, copy: Prepared) -> float:
    """Mean grey-level difference between `copy` and `original` cut to match it best."""
    left, right = _best_cut(original.columns, copy.columns)
    top, bottom = _best_cut(original.rows, copy.rows)
    # The profiles can be fooled by plain areas (a wall, the sky): settle each side on
    # the pixels themselves, one side at a time, coarsely then finely.
    grey, target = original.grey, copy.target
    cuts = [left, top, right, bottom]
    best = _misfit(grey, target, cuts)
    if best > REFINE_BELOW:  # far off even roughly fitted: another picture (most burst frames)
        return best
    for step in (CUT_STEP, CUT_STEP / 5):
        moved = True
        while moved and best > SAME / 2:  # far below the verdict: it will not change
            moved = False
            for side in range(4):
                for delta in (step, -step):  # walk this side while it fits better
                    while 0.0 <= cuts[side] + delta <= MAX_CUT:
                        tried = list(cuts)
                        tried[side] += delta
                        misfit = _misfit(grey, target, tried)
                        if misfit >= best:
                            break
                        best, cuts, moved = misfit, tried, True
    return best


def _misfit(grey: Image.Image, target: np.ndarray, cuts: list[float]) -> float:
    w, h = grey.size
    left, top, right, bottom = cuts
    box = (left * w, top * h, w - right * w, h - bottom * h)
    cut = grey.resize((target.shape[1], target.shape[0]), Image.Resampling.BILINEAR, box=box)
    diff = np.abs(_soft(cut) - target)[2:-2, 2:-2]  # the outermost pixels resample badly
    return float(diff.mean()) if diff.size else 255.0


def _soft(image: Image.Image) -> np.ndarray:
    """A touch of blur: a sub-pixel misfit at a sharp edge is not a difference."""
    return np.asarray(image.filter(_SOFTEN), dtype=np.float32)


def same_picture(a: Prepared, b: Prepared) -> bool:
    """Whether either is the other again, perhaps resized, recompressed or lightly cut."""
    return difference(a, b) <= SAME or difference(b, a) <= SAME


def _best_cut(profile_a: np.ndarray, profile_b: np.ndarray) -> tuple[float, float]:
    """(cut at the start, cut at the end) of A's profile that best matches B's profile,
    every pair of cuts tried at once."""
    low, high, weight = _grid(len(profile_a), len(profile_b))
    values = profile_a[low] * (1 - weight) + profile_a[high] * weight
    error = np.abs(values - profile_b).mean(axis=2)
    i, j = np.unravel_index(int(np.argmin(error)), error.shape)
    return float(_CUTS[i]), float(_CUTS[j])


@functools.cache
def _grid(length_a: int, length_b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each of B's samples falls in A for every pair of cuts: (cuts, cuts, len(B))
    indices below and above, and the weight of the one above. It depends on the lengths
    only (WIDTH, and the pictures' heights), so it is made once per pair of lengths."""
    n = length_a - 1
    start = _CUTS[:, None] * n  # each start cut...
    end = (1 - _CUTS[None, :]) * n  # ...with each end cut
    along = np.linspace(0.0, 1.0, length_b, dtype=np.float32)
    x = start[:, :, None] + (end - start)[:, :, None] * along
    low = np.clip(np.floor(x).astype(np.intp), 0, n)
    return low, np.minimum(low + 1, n), (x - low).astype(np.float32)
