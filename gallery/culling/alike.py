"""Whether two small renditions show the same exposure, allowing for a light crop.

A near-duplicate is the same picture again: resized, recompressed, or with a few per cent
cut off its sides. Its perceptual hash can be as far from the original's as a burst's next
frame (a crop moves it as much as a small pan does), so candidates found by hash are
checked on pixels: the cut is found (each side 0-8 %, half a per cent at a time, from the
rows' and columns' mean brightness), the original is cut and scaled the same way, and the
mean difference of what is left is the verdict. A re-export differs by its compression
only (well under 2 grey levels in 255 at 160 px); a burst's next frame differs by its
motion, its exposure and its own sensor noise (measured: above 1.4).

Pure numpy over Pillow greyscale pictures; the caller reads the renditions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

WIDTH = 160  # both pictures are compared this wide
MAX_CUT = 0.08  # at most this much cut off each side
CUT_STEP = 0.005
SAME = 0.9  # mean grey difference at or under which two pictures are the same one
_CUTS = np.arange(0.0, MAX_CUT + CUT_STEP / 2, CUT_STEP)
_SOFTEN = ImageFilter.GaussianBlur(1)


def difference(original: Image.Image, copy: Image.Image) -> float:
    """Mean grey-level difference between `copy` and `original` cut to match it best."""
    a = _scaled(original, WIDTH)
    b = _scaled(copy, WIDTH)
    left, right = _best_cut(a.mean(axis=0), b.mean(axis=0), _CUTS)
    top, bottom = _best_cut(a.mean(axis=1), b.mean(axis=1), _CUTS)
    # The profiles can be fooled by plain areas (a wall, the sky): settle each side on
    # the pixels themselves, one side at a time, coarsely then finely.
    grey = original.convert("L")
    target = _soft(Image.fromarray(b.astype(np.uint8)))
    cuts = [left, top, right, bottom]
    best = _misfit(grey, target, cuts)
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


def same_picture(a: Image.Image, b: Image.Image) -> bool:
    """Whether either is the other again, perhaps resized, recompressed or lightly cut."""
    return difference(a, b) <= SAME or difference(b, a) <= SAME


def _scaled(image: Image.Image, width: int) -> np.ndarray:
    height = max(8, round(image.height * width / image.width))
    small = image.convert("L").resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float32)


def _best_cut(
    profile_a: np.ndarray,
    profile_b: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray | None = None,
) -> tuple[float, float]:
    """(cut at the start, cut at the end) of A's profile that best matches B's profile,
    every pair of the cuts given tried at once."""
    ends = starts if ends is None else ends
    n = len(profile_a) - 1
    start = starts[:, None] * n  # each start cut...
    end = (1 - ends[None, :]) * n  # ...with each end cut
    along = np.linspace(0.0, 1.0, len(profile_b))
    x = start[:, :, None] + (end - start)[:, :, None] * along  # (cuts, cuts, len(b))
    low = np.clip(np.floor(x).astype(int), 0, n)
    high = np.minimum(low + 1, n)
    weight = x - low
    values = profile_a[low] * (1 - weight) + profile_a[high] * weight
    error = np.abs(values - profile_b).mean(axis=2)
    i, j = np.unravel_index(int(np.argmin(error)), error.shape)
    return float(starts[i]), float(ends[j])
