"""Pictures made up for tests: any size, colour, format and EXIF, each unlike the next.

`image_bytes` makes one in memory, `write_image` one file (the format from its suffix),
`write_images` a folder of numbered ones. A `seed` picks the colour (or the noise), so
different seeds never give the same bytes and SHA-256 dedupe never merges two of them.
`scene` draws a picture with shapes in it (a seed's own), and `view` a camera's look at
part of one, lighter, darker or blurred: the culling tests' bursts and copies.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

EXIF_IFD, GPS_IFD = 0x8769, 0x8825  # sub-IFDs: give them a dict of their own tags
Color = str | tuple[int, ...]


def colour(seed: int) -> tuple[int, int, int]:
    """A colour of its own for each seed below 4096 (channels 16 apart: JPEG keeps them apart)."""
    red, green, blue = (8 + 16 * (seed >> shift & 15) for shift in (0, 4, 8))
    return red, green, blue


def exif(tags: dict) -> Image.Exif:
    """EXIF from {tag id: value}; EXIF_IFD and GPS_IFD take a dict of their own tags."""
    made = Image.Exif()
    made.update(tags)
    return made


def picture(
    size: tuple[int, int] = (64, 48), *, seed: int = 0, color: Color | None = None, noise=False
) -> Image.Image:
    """An RGB picture: one colour (`color`, else the seed's), or noise from the seed, which
    compresses as badly as a photo and makes the decoder and encoder really work."""
    if noise:
        pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
        return Image.frombytes("RGB", size, pixels)
    return Image.new("RGB", size, colour(seed) if color is None else color)


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    *,
    seed: int = 0,
    color: Color | None = None,
    noise: bool = False,
    exif: dict | None = None,
    **save,
) -> bytes:
    """An encoded picture; `save` goes to Pillow (quality, comment, xmp, icc_profile...)."""
    out = io.BytesIO()
    _save(picture(size, seed=seed, color=color, noise=noise), out, fmt, exif, save)
    return out.getvalue()


def write_image(
    path: Path,
    size: tuple[int, int] = (64, 48),
    *,
    seed: int = 0,
    color: Color | None = None,
    noise: bool = False,
    exif: dict | None = None,
    **save,
) -> Path:
    """`image_bytes` into `path` (folders made), in the format its suffix names."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = Image.registered_extensions()[path.suffix.lower()]
    _save(picture(size, seed=seed, color=color, noise=noise), path, fmt, exif, save)
    return path


def write_images(
    folder: Path, sizes: Iterable[tuple[int, int]], *, first=1, name="IMG_{:04d}.jpg", **options
) -> list[Path]:
    """One picture per size, numbered from `first`: the number names it and is its seed."""
    return [
        write_image(Path(folder) / name.format(n), size, seed=n, **options)
        for n, size in enumerate(sizes, start=first)
    ]


def _save(image: Image.Image, out, fmt: str, tags: dict | None, save: dict) -> None:
    if tags is not None:
        save["exif"] = exif(tags)
    image.save(out, fmt, **save)


def scene(seed: int, size: tuple[int, int] = (960, 640)) -> Image.Image:
    """A picture of a seed's own: a two-colour ground, a dozen coloured shapes, and a
    mottled texture over all, as a photo has (flat colours match anywhere)."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, colour(rng.randrange(4096)))
    pen = ImageDraw.Draw(image)
    w, h = size
    pen.rectangle((0, rng.uniform(0.4, 0.7) * h, w, h), fill=colour(rng.randrange(4096)))
    for _shape in range(12):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        rx, ry = rng.uniform(0.03, 0.2) * w, rng.uniform(0.03, 0.25) * h
        box = (x - rx, y - ry, x + rx, y + ry)
        fill = colour(rng.randrange(4096))
        (pen.ellipse if rng.random() < 0.5 else pen.rectangle)(box, fill=fill)
    texture = picture((w // 12, h // 12), seed=seed, noise=True)
    return Image.blend(image, texture.resize(size, Image.Resampling.BICUBIC), 0.25)


def view(
    picture: Image.Image,
    box: tuple[float, float, float, float] = (0.05, 0.05, 0.95, 0.95),
    *,
    light: float = 1.0,
    blur: float = 0.0,
    size: tuple[int, int] | None = None,
) -> Image.Image:
    """The part of the picture inside `box` (left, top, right, bottom, fractions), lighter
    or darker, blurred, resized: a burst frame is a box moved a little, a crop a smaller one."""
    w, h = picture.size
    left, top, right, bottom = box
    seen = picture.crop((round(left * w), round(top * h), round(right * w), round(bottom * h)))
    if light != 1.0:
        seen = seen.point(lambda v: min(255, round(v * light)))
    if blur:
        seen = seen.filter(ImageFilter.GaussianBlur(blur))
    return seen.resize(size, Image.Resampling.LANCZOS) if size else seen


def zipped(paths: Iterable[Path]) -> bytes:
    """A zip archive (stored, not compressed) of these files under their names."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for path in paths:
            archive.write(path, Path(path).name)
    return out.getvalue()
