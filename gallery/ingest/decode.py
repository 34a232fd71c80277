"""Look at an image file with Pillow before any pixel is decoded, and explain failures.

`inspect` reads the header only (size, mode, frame count, and every animation frame's
extent) so that a decompression bomb, in any frame, an endless animation or a multi-page
TIFF is refused before a decoder allocates anything.
`pillow_guard`, `open_image` and `explain` are shared with `renditions`, whose Pillow
fallback decodes under the same rules.
"""

from __future__ import annotations

import functools
import logging
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import (  # noqa: F401 -- importing the plugins registers the openers formats= names
    GifImagePlugin,
    Image,
    ImageFile,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    UnidentifiedImageError,
    WebPImagePlugin,
)

from gallery.core.messages import N_, Message, message

from .errors import Rejected
from .frames import extents

log = logging.getLogger(__name__)

# sniffed format (also the only Pillow plugin allowed to open it; the JPEG opener returns
# MPO files too) -> its name in messages; any other format never reaches a decoder
FORMAT_NAMES = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "HEIF": "HEIF",
    "TIFF": "TIFF",
}
ANIMATED = ("GIF", "WEBP", "PNG")  # formats whose extra frames are an animation

TRUNCATED = N_("the image is truncated: the file ends before the picture data does")
PICTURE = N_("the picture")
FRAME = N_("frame %(number)s of the animation")
MULTIPAGE = N_("multi-page TIFF files are not supported; save each page as its own image")


@dataclass(frozen=True)
class Limits:
    """What a single upload may cost to decode."""

    max_pixels: int = 100_000_000  # width*height of the canvas, grown to hold every frame
    max_frames: int = 500  # animated GIF/WebP/APNG frame cap


@dataclass(frozen=True)
class Header:
    """What the file says about itself, read without decoding pixels."""

    format: str  # as passed in
    width: int  # stored pixel size (before orientation)
    height: int
    frames: int
    mode: str  # Pillow mode


@functools.cache
def _register_heif() -> None:
    """Teach Pillow to open HEIF, once per process."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def pillow_formats(fmt: str) -> list[str]:
    """The Pillow plugin for a sniffed format, or a refusal for any other format."""
    if fmt not in FORMAT_NAMES:
        raise Rejected("unsupported_format", N_("%(format)s files are not supported"), format=fmt)
    if fmt == "HEIF":
        _register_heif()
    return [fmt]


@contextmanager
def pillow_guard(max_pixels: int) -> Iterator[None]:
    """Run Pillow with a pixel limit that raises, and with its other warnings silenced."""
    saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    with warnings.catch_warnings():
        # "Corrupt EXIF data", "malformed MPO", palette notes... are not reasons to refuse
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        Image.MAX_IMAGE_PIXELS = max_pixels
        ImageFile.LOAD_TRUNCATED_IMAGES = False  # a missing end must fail, not turn grey
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def open_image(path: Path, fmt: str) -> Image.Image:
    """Open lazily with only the plugins of the sniffed format; use inside pillow_guard."""
    return Image.open(path, formats=pillow_formats(fmt))


def inspect(path: Path, fmt: str, limits: Limits) -> Header:
    """Read the header and refuse what must never be decoded; no pixel is decoded here."""
    try:
        if fmt in ANIMATED:
            _check_every_frame(path, fmt, limits)
        with pillow_guard(limits.max_pixels), open_image(path, fmt) as im:
            header = _check(im, fmt, limits)
            if isinstance(im, TiffImagePlugin.TiffImageFile):  # fmt == "TIFF"
                _check_tiff_extent(im, path.stat().st_size)
            if fmt == "PNG":
                # libpng stops at the end of the picture data, so a damaged tail or chunk is
                # only seen here: walk every chunk's CRC (reads the file, decodes nothing)
                im.verify()
            return header
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _pillow_bomb(exc, limits.max_pixels) from None
    except Rejected:
        raise
    except Exception as exc:
        raise explain(exc, fmt) from exc


def _check(im: Image.Image, fmt: str, limits: Limits) -> Header:
    """Refuse impossible sizes, multi-page TIFFs and endless animations."""
    width, height = im.size
    if width <= 0 or height <= 0:
        text = N_("the file says the picture is %(width)s × %(height)s pixels")
        raise Rejected("corrupt", text, width=width, height=height)
    frames = _count_frames(im, fmt)
    if frames < 1:
        raise Rejected("corrupt", N_("the animation is damaged: it declares no frames"))
    if frames > limits.max_frames:
        raise Rejected(
            "too_many_frames",
            N_("the animation has %(frames)s frames; the limit is %(limit)s"),
            frames=frames,
            limit=limits.max_frames,
        )
    return Header(format=fmt, width=width, height=height, frames=frames, mode=im.mode)


def _check_every_frame(path: Path, fmt: str, limits: Limits) -> None:
    """Refuse an animation any of whose frames makes the canvas a bomb, before Pillow opens it.

    Pillow and libvips look at the first frame; a later one may declare 65535 x 65535, or
    sit at an offset that far out, and a decoder grows the canvas to hold it. The walk
    stops after `max_frames` frames: Pillow's count refuses the rest with its own words.
    """
    width = height = 0
    for number, (right, bottom) in enumerate(extents(path, fmt)):  # 0: the canvas itself
        width, height = max(width, right), max(height, bottom)
        if width * height > limits.max_pixels:
            what = PICTURE if number <= 1 else Message(FRAME, {"number": number})
            raise _too_many_pixels(width * height, limits.max_pixels, what)
        if number > limits.max_frames:
            return


def _count_frames(im: Image.Image, fmt: str) -> int:
    """Animation frames; the extra pictures of MPO (gain maps, stereo) and HEIF don't count."""
    if fmt == "TIFF":
        if getattr(im, "n_frames", 1) > 1:
            raise Rejected("unsupported_format", MULTIPAGE)
        return 1
    if fmt in ANIMATED:
        # GIF counts by skipping through frame data without decoding it
        return int(getattr(im, "n_frames", 1))
    return 1


def _check_tiff_extent(im: TiffImagePlugin.TiffImageFile, file_size: int) -> None:
    """Refuse strips or tiles that end past the end of the file.

    libtiff hands back a strip cut short without an error, so a truncated uncompressed TIFF
    would decode with a grey band; the offsets in the header say where the data must end.
    """
    tags = im.tag_v2
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):  # strips, tiles
        offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
        if offsets is None or counts is None:
            continue
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        if max((o + c for o, c in zip(offsets, counts, strict=False)), default=0) > file_size:
            raise Rejected("corrupt", TRUNCATED)


def pixel_count(pixels: int) -> Message:
    """3600000000 -> '3600 megapixels', 100400000 -> '100.4 megapixels', 9999 -> '9,999 pixels'."""
    if pixels < 1_000_000:
        return Message(N_("%(amount)s pixels"), {"amount": f"{pixels:,}"})
    amount = f"{pixels / 1_000_000:.1f}".removesuffix(".0")
    return Message(N_("%(amount)s megapixels"), {"amount": amount})


def _pillow_bomb(exc: Exception, limit: int) -> Rejected:
    """A refusal that names the picture's size (Pillow's message carries the pixel count)."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    return _too_many_pixels(int(found.group(1)) if found else limit + 1, limit)


def _too_many_pixels(pixels: int, limit: int, what: str | Message = PICTURE) -> Rejected:
    """The bomb's refusal: 'the picture has 3600 megapixels; the limit is 100 megapixels'."""
    text = N_("%(what)s has %(pixels)s; the limit is %(limit)s")
    size, most = pixel_count(pixels), pixel_count(limit)
    return Rejected("too_many_pixels", text, what=message(what), pixels=size, limit=most)


def explain(exc: BaseException, fmt: str) -> Rejected:
    """Turn anything Pillow (or pillow-heif) raised into a refusal in plain words."""
    if isinstance(exc, Rejected):
        return exc
    name = FORMAT_NAMES.get(fmt, fmt)
    text = str(exc).lower()
    log.info("%s decoder refused the file: %r", name, exc)
    if isinstance(exc, UnidentifiedImageError):
        header = N_("the file starts like a %(format)s image but its header is damaged")
        return Rejected("corrupt", header, format=name)
    if isinstance(exc, OSError) and exc.errno is not None:  # the disk, not the picture
        return Rejected("decoder_failed", N_("the uploaded file could not be read"))
    if isinstance(exc, MemoryError):
        memory = N_("decoding the picture needs more memory than allowed")
        return Rejected("decoder_failed", memory)
    if isinstance(exc, EOFError) or "truncated" in text or "premature end" in text:
        return Rejected("corrupt", TRUNCATED)
    if "checksum" in text or "crc" in text:
        return Rejected("corrupt", N_("the %(format)s data is corrupt (bad checksum)"), format=name)
    if isinstance(exc, SyntaxError | OSError | ValueError | IndexError | struct.error):
        damaged = N_("the %(format)s picture data is damaged and cannot be decoded")
        return Rejected("corrupt", damaged, format=name)
    return Rejected("decoder_failed", N_("the %(format)s decoder failed on this file"), format=name)
