"""Photos for the demo album: the shared camera samples where present, else generated ones."""

from __future__ import annotations

import colorsys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageDraw

SHARED_SAMPLES = ("photos/jpg", "photos/heic")
GENERATED_COUNT = 12


@contextmanager
def demo_photos(corpus: Path) -> Iterator[list[Path]]:
    """Paths to import for the demo; generated files live only while the import runs."""
    shared = [corpus / sub for sub in SHARED_SAMPLES if (corpus / sub).is_dir()]
    if shared:
        yield [path for folder in shared for path in sorted(folder.glob("*.*"))]
        return
    with tempfile.TemporaryDirectory(prefix="gallery-demo-") as folder:
        yield [_generate(Path(folder), n) for n in range(1, GENERATED_COUNT + 1)]


def _generate(folder: Path, n: int) -> Path:
    """A landscape or portrait picture with a colour of its own and its number on it."""
    size = (1600, 1067) if n % 3 else (1067, 1600)
    hue = n / GENERATED_COUNT
    top = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.55, 0.95))
    bottom = tuple(int(c * 255) for c in colorsys.hsv_to_rgb(hue, 0.8, 0.45))
    image = Image.linear_gradient("L").resize(size)
    image = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), image)
    draw = ImageDraw.Draw(image)
    radius = min(size) // 4
    centre = (size[0] // 2, size[1] // 2)
    draw.ellipse(
        [centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius],
        outline="white",
        width=12,
    )
    draw.text(centre, str(n), fill="white", anchor="mm", font_size=radius)
    exif = Image.Exif()
    exif[0x0132] = f"2026:05:{n:02d} 10:{n:02d}:00"  # DateTime
    exif[0x010F] = "Gallery"  # Make
    exif[0x0110] = "Demo generator"  # Model
    path = folder / f"demo-{n:02d}.jpg"
    image.save(path, "JPEG", quality=88, exif=exif)
    return path
