"""The libvips baseline: renditions only, as a process of its own.

Run: `python bench/vips_baseline.py QUALITY SIZE [SIZE ...] -- PHOTO [PHOTO ...]`.
Imports nothing but pyvips, so that its start-up is Python's and libvips's alone; the
threads it uses follow VIPS_CONCURRENCY (libvips's default: one per core).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pyvips


def libvips(paths: Sequence[Path], sizes: Sequence[int], quality: int) -> None:
    """One shrink-on-load thumbnail at the largest size, then a cascade, each size encoded."""
    steps = sorted(sizes, reverse=True)
    for path in paths:
        image = pyvips.Image.thumbnail(str(path), steps[0], height=steps[0]).copy_memory()
        for size in steps:
            if size < max(image.width, image.height):
                image = image.thumbnail_image(size, height=size).copy_memory()
            image.jpegsave_buffer(Q=quality)


if __name__ == "__main__":
    split = sys.argv.index("--")
    quality, *sizes = map(int, sys.argv[1:split])
    libvips([Path(arg) for arg in sys.argv[split + 1 :]], sizes, quality)
