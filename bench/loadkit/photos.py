"""Generated event photos: real JPEGs with texture (so they weigh what photos weigh),
a caption and a capture time in EXIF, each one's bytes its own."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw

# Words of the seed article's kind, so visitors' searches find something.
WORDS = [
    "skolēni",
    "skolotāji",
    "konference",
    "tehnikums",
    "sporta",
    "diena",
    "izlaidums",
    "koncerts",
    "ekskursija",
    "olimpiāde",
    "projekts",
    "erasmus",
    "mācības",
    "darbnīca",
    "laboratorija",
    "robotika",
    "teātris",
    "svētki",
    "pavasaris",
    "rudens",
    "bibliotēka",
]


def caption(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, 5)).capitalize()


def make_photo(path: Path, seed: int, size: tuple[int, int], text: str) -> Path:
    """A textured picture unique to `seed`, with `text` as its caption in EXIF."""
    rng = random.Random(seed)
    noise = Image.effect_noise(size, rng.uniform(30, 70))
    tint = Image.new("RGB", size, tuple(rng.randrange(40, 220) for _ in range(3)))
    image = Image.blend(Image.merge("RGB", (noise, noise, noise)), tint, 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(min(size) // 8 + 1, min(size) // 3 + 2)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in "rgb"))
    exif = Image.Exif()
    # XPComment, UTF-16: EXIF's ImageDescription is ASCII and would lose the diacritics.
    exif[0x9C9C] = text.encode("utf-16le") + b"\0\0"
    exif[0x0132] = f"2026:05:{seed % 28 + 1:02d} {seed % 24:02d}:{seed % 60:02d}:00"  # DateTime
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=85, exif=exif)
    return path


def make_photos(to_make: dict[Path, tuple[int, str]], size: tuple[int, int]) -> dict[Path, str]:
    """Write each file (path -> seed, caption) on every core; their SHA-256 digests."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(os.cpu_count(), mp_context=context) as pool:
        made = [pool.submit(make_photo, p, seed, size, text) for p, (seed, text) in to_make.items()]
        paths = [future.result() for future in made]
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}
