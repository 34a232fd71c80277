"""What culling needs to know of a picture, measured on its smallest rendition.

Made while the rendition is still in memory (a few hundred pixels across), so it costs
about a millisecond a photo next to the decode's hundred or more:

- a perceptual hash (pHash: the 32x32 greyscale picture's 2-D DCT, its 8x8 lowest
  frequencies each above or below their median; the same bits as imagehash.phash), which
  stays within a few bits when the picture is resized or recompressed, moves a few more
  for a light crop or a burst's next frame, and is far off for another picture;
- sharpness: how much of the picture's contrast lies in its finest detail (the Laplacian's
  energy over the picture's own variance, so that a darker frame is not called softer);
- exposure: 1 for a well-filled histogram, less for a picture that is dark, bright or
  clipped at either end.

The score that suggests the best photo of a stack is sharpness times exposure.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from PIL import Image

EDGE = 320  # longest edge measured: the default smallest rendition
HASH_SIDE = 32  # pHash: the picture is shrunk to 32x32, then 8x8 DCT coefficients kept
HASH_BITS = 8
# Sharpness r (Laplacian energy over variance) maps to r / (r + HALF_SHARP): 0.5 at
# HALF_SHARP; a crisp photo at 320 px lies around 0.5-0.9, a blurred frame of it lower.
HALF_SHARP = 0.01
CLIP_DARK, CLIP_BRIGHT = 4, 251  # grey levels counted as clipped


@dataclass(frozen=True)
class Measures:
    phash: int  # 64 bits, as a signed 64-bit integer (what the database stores)
    sharpness: float  # 0-1
    exposure: float  # 0-1

    @property
    def score(self) -> float:
        return score(self.sharpness, self.exposure)


def score(sharpness: float | None, exposure: float | None) -> float:
    """The best-of-stack score: sharp and well exposed, 0-1; 0 when unmeasured."""
    if sharpness is None or exposure is None:
        return 0.0
    return round(sharpness * exposure, 4)


def measure(image: Image.Image) -> Measures:
    """Hash, sharpness and exposure of a rendition (any mode; shrunk to EDGE if larger)."""
    grey = image if image.mode == "L" else image.convert("L")
    if max(grey.size) > EDGE:
        grey = grey.copy()
        grey.thumbnail((EDGE, EDGE), Image.Resampling.BILINEAR)
    pixels = np.asarray(grey, dtype=np.float32)
    return Measures(phash(grey), _sharpness(pixels), _exposure(pixels))


def phash(grey: Image.Image) -> int:
    """The 64-bit perceptual hash of a greyscale picture, as a signed integer."""
    small = grey.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, dtype=np.float64)
    basis = _dct_basis()
    low = (basis @ pixels @ basis.T)[:HASH_BITS, :HASH_BITS]
    bits = np.packbits(low > np.median(low))  # row by row, first bit highest
    return to_signed(int.from_bytes(bits.tobytes(), "big"))


@functools.cache
def _dct_basis() -> np.ndarray:
    """The DCT-II matrix (unnormalised rows: only signs against the median matter)."""
    n = np.arange(HASH_SIDE)
    return np.cos(np.pi * np.outer(n, 2 * n + 1) / (2 * HASH_SIDE))


def to_signed(value: int) -> int:
    """A 64-bit unsigned value as the signed integer SQL databases store."""
    return value - (1 << 64) if value >= 1 << 63 else value


def distance(a: int, b: int) -> int:
    """How many of two hashes' 64 bits differ (signed or unsigned, alike)."""
    return ((a ^ b) & 0xFFFF_FFFF_FFFF_FFFF).bit_count()


def _sharpness(pixels: np.ndarray) -> float:
    core = pixels[1:-1, 1:-1]
    laplacian = (
        4 * core - pixels[:-2, 1:-1] - pixels[2:, 1:-1] - pixels[1:-1, :-2] - pixels[1:-1, 2:]
    )
    variance = float(core.var())
    if variance < 1.0:  # a flat picture has no detail to judge
        return 0.0
    ratio = float(laplacian.var()) / variance / 16  # 16: the Laplacian's own gain
    return round(ratio / (ratio + HALF_SHARP), 4)


def _exposure(pixels: np.ndarray) -> float:
    """1 for a mean near the middle with little clipped; down to 0 for a black or white frame."""
    size = pixels.size
    clipped = np.count_nonzero(pixels <= CLIP_DARK) + np.count_nonzero(pixels >= CLIP_BRIGHT)
    mean = float(pixels.mean()) / 255
    off_centre = max(0.0, abs(mean - 0.47) - 0.12)  # a mean of 0.35-0.59 is fine
    value = 1.0 - 2.0 * off_centre - 2.0 * clipped / size
    return round(min(1.0, max(0.0, value)), 4)


__all__ = ["EDGE", "Measures", "distance", "measure", "phash", "score", "to_signed"]
