"""A made-up event with known truth, for the culling benchmark (bench/culling.py).

Each *moment* is a scene drawn from a seed: a sky-to-ground gradient with soft clouds and
grain, a dozen shapes with stripes or speckles, and a subject (a figure) in front. A
moment is shot once or as a burst: frames a fraction of a second apart, the camera
drifting (small shifts) or panning, the exposure wandering (most frames within a quarter
stop, a third of them 0.8-1.4 stops off), the subject moving, some frames blurred.
Between moments the photographer waits seconds to minutes.

The traps, each with its truth:
- bursts: every frame of one burst belongs to one stack, and none is a near-duplicate of
  another (they are different exposures);
- look-alikes that are neither: the same place shot again seconds or minutes later with
  other shapes and the subject elsewhere (the same background), and the same moment
  reframed a second or two later (zoomed in 1.35-1.6x);
- re-exports of some photos into a second album and a few into the same album: resized,
  recompressed, lightly cropped (2-5 % off one or two sides), or all three, often without
  EXIF: each is a near-duplicate of its original, and of nothing else.

Pure numpy and Pillow; the same seed makes the same files.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 1600, 1067
MARGIN = 0.08  # the scene is drawn this much larger on each side, for the camera to drift
EXIF_DATE, EXIF_IFD = 0x9003, 0x8769


@dataclass
class Shot:
    """One file of the set and what is true of it."""

    name: str  # file name inside its album folder
    album: str
    taken_at: str | None  # EXIF DateTimeOriginal, "YYYY:MM:DD HH:MM:SS"; None: stripped
    burst: str | None = None  # frames of one burst share it: the truth of stacks
    original: str | None = None  # a re-export: "album/name" of the photo it duplicates
    kind: str = "single"  # single, burst, lookalike, reframed, reexport
    sharpest: bool = False  # the frame of its burst a person would keep (no blur, exposed)
    blur: float = 0.0  # a burst frame's motion blur (px) and exposure change (stops)
    ev: float = 0.0


@dataclass
class Scene:
    """What a moment shows: drawn once at the size of the camera's full view plus margins."""

    seed: int
    canvas: Image.Image = field(repr=False)  # RGB, without the subject
    subject: tuple[int, int, int] = (0, 0, 0)  # the figure's colour


def _soft_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Smooth noise in [-1, 1]: a grid of `cells` across, enlarged bicubically."""
    grid = rng.uniform(-1, 1, (max(2, cells * shape[0] // shape[1]), cells)).astype(np.float32)
    image = Image.fromarray(((grid + 1) * 127.5).astype(np.uint8), "L")
    big = image.resize((shape[1], shape[0]), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.float32) / 127.5 - 1


def draw_scene(seed: int, background_seed: int | None = None) -> Scene:
    """A scene; with `background_seed`, the place of another scene with other shapes."""
    place = np.random.default_rng(seed if background_seed is None else background_seed)
    rng = np.random.default_rng(seed)
    h, w = round(HEIGHT * (1 + 2 * MARGIN)), round(WIDTH * (1 + 2 * MARGIN))
    top, bottom = place.uniform(40, 230, 3), place.uniform(20, 200, 3)
    horizon = place.uniform(0.35, 0.65)
    rows = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky = top + (bottom - top) * np.clip(rows / horizon, 0, 1)
    ground = place.uniform(30, 180, 3)
    canvas = np.where(rows < horizon, sky, ground * (0.7 + 0.3 * rows)).astype(np.float32)
    canvas = canvas * np.ones((1, w, 1), np.float32)
    canvas += 28 * _soft_noise(place, (h, w), 7)[:, :, None]
    canvas += 10 * _soft_noise(place, (h, w), 60)[:, :, None]
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8), "RGB")
    pen = ImageDraw.Draw(image)
    shapes = random.Random(int(rng.integers(1 << 30)))
    for _shape in range(shapes.randint(8, 16)):
        _draw_shape(pen, shapes, w, h)
    colour = tuple(int(c) for c in rng.integers(0, 255, 3))
    return Scene(seed, image, colour)


def _draw_shape(pen: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    sx, sy = rng.uniform(0.03, 0.25) * w, rng.uniform(0.03, 0.3) * h
    fill = tuple(rng.randrange(256) for _ in range(3))
    box = (x - sx / 2, y - sy / 2, x + sx / 2, y + sy / 2)
    kind = rng.choice(("ellipse", "rectangle", "polygon", "stripes"))
    if kind == "ellipse":
        pen.ellipse(box, fill=fill)
    elif kind == "rectangle":
        pen.rectangle(box, fill=fill)
    elif kind == "polygon":
        points = [(x + rng.uniform(-sx, sx), y + rng.uniform(-sy, sy)) for _ in range(5)]
        pen.polygon(points, fill=fill)
    else:
        other = tuple(rng.randrange(256) for _ in range(3))
        step = max(4, round(sx / rng.randint(3, 9)))
        for i, left in enumerate(range(round(box[0]), round(box[2]), step)):
            pen.rectangle((left, box[1], left + step, box[3]), fill=fill if i % 2 else other)


@dataclass(frozen=True)
class Frame:
    """How the camera saw the scene for one exposure."""

    shift: tuple[float, float] = (0.0, 0.0)  # camera drift, fraction of the frame
    zoom: float = 1.0  # >1: a tighter framing around the centre (plus shift)
    subject: tuple[float, float] = (0.5, 0.6)  # where the figure stands, fraction
    ev: float = 0.0  # exposure change in stops
    blur: float = 0.0  # motion blur length in px (horizontal)
    grain: int = 0  # seed of the sensor noise


def expose(scene: Scene, frame: Frame) -> Image.Image:
    """One exposure of a scene: the figure placed, the view cut out, light, blur, grain."""
    canvas = scene.canvas.copy()
    w, h = canvas.size
    _figure(ImageDraw.Draw(canvas), scene.subject, frame.subject, w, h)
    view_w, view_h = WIDTH / frame.zoom, HEIGHT / frame.zoom
    left = (w - view_w) / 2 + frame.shift[0] * WIDTH
    top = (h - view_h) / 2 + frame.shift[1] * HEIGHT
    box = (left, top, left + view_w, top + view_h)
    image = canvas.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR, box=box)
    if frame.blur:
        image = image.filter(ImageFilter.BoxBlur(frame.blur / 2))
    pixels = np.asarray(image, dtype=np.float32)
    grain = np.random.default_rng(frame.grain).normal(0, 4, pixels.shape[:2]).astype(np.float32)
    pixels = pixels * np.float32(2**frame.ev) + grain[:, :, None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _figure(pen: ImageDraw.ImageDraw, colour, where: tuple[float, float], w: int, h: int) -> None:
    """A person-like figure: a head and a body, about a third of the frame high."""
    cx, cy = where[0] * w, where[1] * h
    body_w, body_h, head = 0.07 * w, 0.25 * h, 0.045 * w
    pen.rectangle((cx - body_w / 2, cy - body_h / 2, cx + body_w / 2, cy + body_h / 2), colour)
    face_y = cy - body_h / 2 - head * 0.8
    pen.ellipse((cx - head, face_y - head, cx + head, face_y + head), (224, 182, 150))


# --- re-exports ----------------------------------------------------------------------


def reexport(image: Image.Image, rng: random.Random) -> tuple[Image.Image, int, str]:
    """A re-export: (picture, JPEG quality, what was done) - resized, recompressed,
    lightly cropped, or all three."""
    how = rng.choice(("resize", "recompress", "crop", "all"))
    if how in ("crop", "all"):
        w, h = image.size
        cut = [0.0, 0.0, 0.0, 0.0]  # left, top, right, bottom
        for side in rng.sample(range(4), rng.choice((1, 2))):
            cut[side] = rng.uniform(0.02, 0.05)
        box = (cut[0] * w, cut[1] * h, w - cut[2] * w, h - cut[3] * h)
        image = image.crop(tuple(round(v) for v in box))
    if how in ("resize", "all"):
        edge = rng.choice((640, 800, 1024, 1200))
        image = image.copy()
        image.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    quality = rng.randint(45, 75) if how in ("recompress", "all") else 90
    return image, quality, how


# --- the set -------------------------------------------------------------------------


@dataclass
class EventSet:
    shots: list[Shot]
    files: dict[str, bytes] = field(repr=False)  # "album/name" -> JPEG bytes

    def write(self, folder: Path) -> None:
        for key, data in self.files.items():
            path = folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        truth = [asdict(shot) for shot in self.shots]
        (folder / "truth.json").write_text(json.dumps(truth, indent=1))


def jpeg(image: Image.Image, taken: datetime | None, quality: int = 90) -> bytes:
    out = io.BytesIO()
    options: dict = {"quality": quality}
    if taken is not None:
        exif = Image.Exif()
        exif.get_ifd(EXIF_IFD)[EXIF_DATE] = taken.strftime("%Y:%m:%d %H:%M:%S")
        options["exif"] = exif
    image.save(out, "JPEG", **options)
    return out.getvalue()


def make_event(moments: int = 120, seed: int = 1, album: str = "event") -> EventSet:
    """An event album of about 3.3 photos a moment, and re-exports of some of them."""
    rng = random.Random(seed)
    clock = datetime(2026, 5, 14, 10, 0, 0)
    shots: list[Shot] = []
    files: dict[str, bytes] = {}
    scenes: list[Scene] = []
    frame_no = 0

    def add(image: Image.Image, taken: datetime, **truth) -> Shot:
        nonlocal frame_no
        frame_no += 1
        shot = Shot(f"IMG_{frame_no:04d}.jpg", album, taken.strftime("%Y:%m:%d %H:%M:%S"), **truth)
        shots.append(shot)
        files[f"{album}/{shot.name}"] = jpeg(image, taken)
        return shot

    for moment in range(moments):
        clock += timedelta(seconds=rng.choice((2, 3, 4, 6, 10, 20, 45, 120)))
        roll = rng.random()
        if scenes and roll < 0.12:  # the same place again: other shapes, the subject elsewhere
            place = rng.choice(scenes[-3:])
            scene = draw_scene(seed * 10_000 + moment, background_seed=place.seed)
            frame = Frame(subject=(rng.uniform(0.2, 0.8), rng.uniform(0.45, 0.7)), grain=moment)
            add(expose(scene, frame), clock, kind="lookalike")
            continue
        scene = draw_scene(seed * 10_000 + moment)
        scenes.append(scene)
        if roll < 0.55:
            add(expose(scene, Frame(grain=moment)), clock, kind="single")
        else:
            clock = _burst(scene, rng, clock, add, f"{album}-{moment}")
        if rng.random() < 0.1:  # reframed at once: zoomed in on the subject, or less
            clock += timedelta(seconds=rng.choice((1, 2)))
            reframe = rng.choice(
                (Frame(zoom=1.6, grain=moment + 1), Frame(zoom=1.35, shift=(0.05, 0.03)))
            )
            add(expose(scene, reframe), clock, kind="reframed")
    _reexports(rng, shots, files, album)
    return EventSet(shots, files)


def _burst(scene: Scene, rng: random.Random, clock: datetime, add, burst: str) -> datetime:
    """3-10 frames, 0.1-0.5 s apart (sometimes a pause of a second or two); the camera
    drifting or panning, the exposure wandering, some frames blurred; one frame sharp and
    well exposed. Returns the time of the last frame."""
    count = rng.randint(3, 10)
    keeper = rng.randrange(count)
    panning = rng.random() < 0.3  # following the subject: the background slides by
    shift = [-MARGIN * 0.9 if panning else 0.0, 0.0]
    subject = [rng.uniform(0.3, 0.7), rng.uniform(0.5, 0.65)]
    step = [rng.uniform(-0.03, 0.03), rng.uniform(-0.008, 0.008)]
    pan = 1.8 * MARGIN / count  # the whole margin, left to right, within the burst
    for i in range(count):
        if panning:
            shift[0] += pan
            subject[0] += pan / (1 + 2 * MARGIN)  # the camera keeps the subject in place
        else:
            shift = [s + rng.uniform(-0.01, 0.01) for s in shift]
            subject = [subject[0] + step[0], subject[1] + step[1]]
        frame = Frame(
            shift=(shift[0], shift[1]),
            subject=(subject[0], subject[1]),
            ev=0.0 if i == keeper else _exposure_slip(rng),
            blur=0.0 if i == keeper else rng.choice((0.0, 0.0, 4.0, 8.0, 12.0)),
            grain=rng.randrange(1 << 30),
        )
        truth = {"burst": burst, "sharpest": i == keeper, "blur": frame.blur, "ev": frame.ev}
        add(expose(scene, frame), clock, kind="burst", **truth)
        pause = rng.choice((1.0, 2.0)) if rng.random() < 0.1 else rng.uniform(0.1, 0.5)
        clock += timedelta(seconds=pause)
    return clock


def _exposure_slip(rng: random.Random) -> float:
    """Most frames within a quarter stop of the keeper; a third of them badly off."""
    if rng.random() < 0.35:
        return rng.choice((-1, 1)) * rng.uniform(0.8, 1.4)
    return rng.uniform(-0.25, 0.25)


def _reexports(rng: random.Random, shots: list[Shot], files: dict[str, bytes], album: str) -> None:
    """Re-exports of a fifth of the photos: most into a "press" album (half of them
    without EXIF), a few beside their original (a photographer who delivered both)."""
    chosen = rng.sample(list(shots), len(shots) // 5)
    for n, shot in enumerate(chosen, start=1):
        key = f"{album}/{shot.name}"
        with Image.open(io.BytesIO(files[key])) as im:
            image, quality, how = reexport(im.convert("RGB"), rng)
        target = album if n % 6 == 0 else "press"
        # Beside its original a copy comes from another tool that dropped EXIF: with its
        # time it would belong in the original's stack, which the truth would have to say.
        keep_exif = target == "press" and rng.random() < 0.5 and shot.taken_at
        taken = datetime.strptime(shot.taken_at, "%Y:%m:%d %H:%M:%S") if keep_exif else None
        name = f"export-{n:03d}.jpg"
        files[f"{target}/{name}"] = jpeg(image, taken, quality)
        shots.append(
            Shot(
                name,
                target,
                taken.strftime("%Y:%m:%d %H:%M:%S") if taken else None,
                original=key,
                kind=f"reexport-{how}",
            )
        )
