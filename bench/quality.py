"""How close the gallery's renditions come to a Lanczos reference: SSIM (Wang et al. 2004:
11x11 Gaussian window, sigma 1.5, on 8-bit luma), in NumPy alone.

The reference is Pillow's LANCZOS resize of the full decode (turned upright) to the
rendition's size, saved as JPEG by the gallery's own encoder and settings (libvips, the
rendition quality, JPEG_OPTIONS): both sides then carry the same JPEG loss, and what is left
is the gallery's resampling (shrink-on-load, kernel, which size is made from which). The
score against the reference kept unencoded is given as well.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyvips
from PIL import Image, ImageOps

from gallery.ingest.decode import Limits, inspect
from gallery.ingest.renditions import JPEG_OPTIONS, RenditionSpec, render


def _window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size) - size // 2
    weights = np.exp(-(x**2) / (2 * sigma**2))
    return weights / weights.sum()


def _blur(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Separable 'valid' convolution: rows, then columns."""
    n = len(w)
    rows = sum(w[k] * a[k : a.shape[0] - n + 1 + k, :] for k in range(n))
    return sum(w[k] * rows[:, k : rows.shape[1] - n + 1 + k] for k in range(n))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two 8-bit greyscale pictures of the same size."""
    x, y = a.astype(np.float64), b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    w = _window()
    mx, my = _blur(x, w), _blur(y, w)
    vx, vy = _blur(x * x, w) - mx * mx, _blur(y * y, w) - my * my
    cov = _blur(x * y, w) - mx * my
    score = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(score.mean())


def luma(picture: Image.Image | bytes) -> np.ndarray:
    if isinstance(picture, bytes):
        picture = Image.open(io.BytesIO(picture))
    return np.asarray(picture.convert("L"))


def rendition_scores(path: Path, spec: RenditionSpec) -> dict[str, tuple[float, float]]:
    """Rendition name -> (SSIM against the JPEG-saved reference, against the raw one)."""
    rendered = render(path, inspect(path, "JPEG", Limits()), spec)
    with Image.open(path) as im:
        full = ImageOps.exif_transpose(im).convert("RGB")
    scores = {}
    for rendition in rendered.renditions:
        reference = full.resize((rendition.width, rendition.height), Image.Resampling.LANCZOS)
        pixels = pyvips.Image.new_from_memory(reference.tobytes(), *reference.size, 3, "uchar")
        saved = pixels.jpegsave_buffer(Q=spec.quality, **JPEG_OPTIONS)
        ours = luma(rendition.data)
        scores[rendition.name] = (ssim(ours, luma(saved)), ssim(ours, luma(reference)))
    return scores
