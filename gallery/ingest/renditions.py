"""Decode a photo once and build its ladder of web renditions (JPEG, sRGB, upright, no metadata).

The fast path is libvips: one shrink-on-load `thumbnail` to the largest rendition, then each
smaller size resized from that one (not from the next larger: halving twice in a row, as
1280 -> 640 -> 320 does, lost detail, SSIM 0.991 against Lanczos where one step from 2048
gives 0.996, for ~6 ms more per 24 MP photo). Pillow takes over for HEIF,
and for any file libvips refuses for a reason other than truncation. Either way this is the
full decode that finds truncated and corrupt files.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pyvips
from PIL import Image, ImageCms

from .analysis import Measures, measure
from .decode import TRUNCATED, Header, explain, open_image, pillow_guard
from .errors import Rejected

log = logging.getLogger(__name__)

# orientations 5-8 turn the picture a quarter, so width and height swap when displayed
QUARTER_TURNS = (5, 6, 7, 8)
# EXIF orientation -> the Pillow transpose that makes the picture upright (as exif_transpose)
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
WHITE = (255, 255, 255)
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class RenditionSpec:
    """Which renditions to make."""

    sizes: tuple[int, ...] = (320, 640, 1280, 2048)  # longest edge; never upscaled
    quality: int = 82


@dataclass(frozen=True)
class Rendition:
    """One encoded rendition."""

    name: str  # str(size), e.g. "320"
    width: int
    height: int
    format: str  # "jpeg"
    data: bytes  # the encoded file


@dataclass(frozen=True)
class Rendered:
    """The picture's displayed size and its renditions, largest first."""

    width: int  # full pixel size as displayed (after EXIF orientation)
    height: int
    renditions: tuple[Rendition, ...]
    # Culling's measures of the smallest rendition while in memory (None if they failed).
    measures: Measures | None = None


class _VipsCannot(Exception):
    """libvips cannot render this file (but Pillow may)."""


def plan(long_edge: int, sizes: tuple[int, ...]) -> list[tuple[str, int]]:
    """(name, longest edge) of each rendition, largest first, never above the original.

    A size at or above the original's longest edge is made once, at the original size, and
    larger sizes are skipped: a 500 px picture gets "320" and a 500 px "640".
    """
    steps = []
    for size in sorted(set(sizes)):
        steps.append((str(size), min(size, long_edge)))
        if size >= long_edge:
            break
    return steps[::-1]


def fit(width: int, height: int, edge: int) -> tuple[int, int]:
    """The size with the longest edge `edge` and the same aspect ratio."""
    scale = edge / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def render(path: Path, header: Header, spec: RenditionSpec) -> Rendered:
    """Decode the picture at `path` (as inspected into `header`) into its renditions."""
    steps = plan(max(header.width, header.height), spec.sizes)
    if header.format != "HEIF":  # pyvips-binary may lack a HEVC decoder; Pillow has one
        try:
            return _render_vips(path, header, steps, spec.quality)
        except _VipsCannot as exc:
            log.info("libvips could not render %s, trying Pillow: %s", path.name, exc)
    return _render_pillow(path, header, steps, spec.quality)


def _displayed(header: Header, orientation: int) -> tuple[int, int]:
    """The full size as displayed, after the EXIF orientation."""
    if orientation in QUARTER_TURNS:
        return header.height, header.width
    return header.width, header.height


# --- libvips ---------------------------------------------------------------------------


def _render_vips(
    path: Path, header: Header, steps: list[tuple[str, int]], quality: int
) -> Rendered:
    """One shrink-on-load decode to the largest size, the others made from it; all in libvips."""
    edge = steps[0][1]
    try:
        image = pyvips.Image.thumbnail(
            str(path),
            edge,
            height=edge,
            size="down",
            no_rotate=True,  # rotated below, so that the orientation is known
            fail_on="truncated",
            **_vips_cmyk(header),
        )
        _check_same_picture(image, header, edge)
        orientation = _vips_orientation(image)
        # the one decode happens here; thumbnail has already converted CMYK
        image = _vips_to_srgb(image, convert_icc=header.mode != "CMYK").copy_memory()
        if orientation != 1:
            image = image.autorot().copy_memory()
        renditions, largest = [], image
        for name, size in steps:
            if size < max(largest.width, largest.height):
                image = largest.thumbnail_image(size, height=size, no_rotate=True).copy_memory()
            renditions.append(_vips_jpeg(name, image, quality))
    except pyvips.Error as exc:
        if _is_truncation(str(exc)):
            raise Rejected("corrupt", TRUNCATED) from exc
        raise _VipsCannot(str(exc).strip()) from exc
    width, height = _displayed(header, orientation)
    return Rendered(width, height, tuple(renditions), _measured(lambda: _vips_grey(image)))


def _vips_grey(image: pyvips.Image) -> Image.Image:
    """The (smallest) rendition in memory as a Pillow greyscale picture."""
    grey = image.colourspace("b-w") if image.bands >= 3 else image
    return Image.frombytes("L", (grey.width, grey.height), grey.extract_band(0).write_to_memory())


def _measured(picture) -> Measures | None:
    """Culling's measures of the smallest rendition; a failure costs them, not the photo."""
    try:
        return measure(picture())
    except Exception:  # the photo is fine: `gallery check --repair` measures it later
        log.exception("could not measure the smallest rendition")
        return None


def _vips_cmyk(header: Header) -> dict[str, str]:
    """Let thumbnail convert CMYK with its profile, or the built-in one when it has none.

    Only for CMYK: asking thumbnail for an output profile when the picture has no profile
    sends it through a float XYZ round trip that costs more than the decode.
    """
    if header.mode != "CMYK":
        return {}
    return {"input_profile": "cmyk", "output_profile": "srgb"}


def _check_same_picture(image: pyvips.Image, header: Header, edge: int) -> None:
    """Refuse to go on if libvips sees another size than Pillow did (polyglots, odd files)."""
    want = fit(header.width, header.height, edge)
    if abs(image.width - want[0]) > 1 or abs(image.height - want[1]) > 1:
        raise _VipsCannot(f"libvips sees {image.width}x{image.height}, expected {want}")


def _vips_orientation(image: pyvips.Image) -> int:
    """The EXIF orientation libvips read, 1 when absent or out of range."""
    if not image.get_typeof("orientation"):
        return 1
    value = image.get("orientation")
    return value if 1 <= value <= 8 else 1


def _vips_to_srgb(image: pyvips.Image, convert_icc: bool) -> pyvips.Image:
    """Embedded profile to sRGB, transparency onto white, 8-bit sRGB or greyscale out."""
    if convert_icc and image.get_typeof("icc-profile-data"):
        # after the resize, as thumbnail itself would do it: a few ms on the small image
        image = image.icc_transform("srgb", embedded=True, intent="relative", depth=8)
    if image.hasalpha():
        peak = 65535 if image.format == "ushort" else 255
        image = image.flatten(background=[peak] * (image.bands - 1), max_alpha=peak)
    if image.format != "uchar" or image.interpretation not in ("srgb", "b-w"):
        image = image.colourspace("srgb" if image.bands >= 3 else "b-w").cast("uchar")
    return image


def _vips_jpeg(name: str, image: pyvips.Image, quality: int) -> Rendition:
    """Encode one rendition with no metadata at all (no EXIF, XMP, IPTC, ICC)."""
    data = image.jpegsave_buffer(Q=quality, keep=pyvips.enums.ForeignKeep.NONE, **JPEG_OPTIONS)
    return Rendition(name=name, width=image.width, height=image.height, format="jpeg", data=data)


# Baseline JPEG with libvips' default Huffman tables. Progressive saved ~3 % at 2048 px but
# grew the small sizes and costs memory to decode on phones; optimised tables save ~3 % but
# add ~15 % to the render time of a 24 Mpx photo. Renditions can be rebuilt if that changes.
JPEG_OPTIONS = {"optimize_coding": False, "interlace": False}


def _is_truncation(message: str) -> bool:
    """libjpeg/libpng/libwebp/libtiff ways of saying the file ends too early."""
    text = message.lower()
    return any(
        word in text for word in ("premature end", "truncated", "unexpected end", "end of file")
    )


# --- Pillow ----------------------------------------------------------------------------


def _render_pillow(
    path: Path, header: Header, steps: list[tuple[str, int]], quality: int
) -> Rendered:
    """The same ladder with Pillow, for HEIF and for files libvips cannot read."""
    try:
        # the limit is the size inspect accepted: the file cannot grow between the two
        with pillow_guard(header.width * header.height), open_image(path, header.format) as im:
            if im.format in ("JPEG", "MPO"):
                im.draft(None, fit(im.width, im.height, steps[0][1]))  # shrink-on-load
            im.load()  # frame 0 of an animation
            orientation = _pillow_orientation(im)
            icc = im.info.get("icc_profile")
            image = _pillow_8bit(im)
            renditions, smallest = _pillow_ladder(image, icc, orientation, steps, quality)
    except Rejected:
        raise
    except Exception as exc:
        raise explain(exc, header.format) from exc
    width, height = _displayed(header, orientation)
    return Rendered(width, height, tuple(renditions), _measured(lambda: smallest))


def _pillow_ladder(
    image: Image.Image,
    icc: bytes | None,
    orientation: int,
    steps: list[tuple[str, int]],
    quality: int,
) -> tuple[list[Rendition], Image.Image]:
    """Resize to the largest size, convert to sRGB and turn upright there, then make each
    smaller size from that one (see the module's docstring); the renditions and the
    smallest picture."""
    renditions: list[Rendition] = []
    source = image
    for name, size in steps:
        image = source
        if size < max(image.size):
            image = image.resize(fit(*image.size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
        if not renditions:  # on the largest rendition, not the (bigger) original
            image = _pillow_srgb(image, icc)
            if orientation in UPRIGHT:
                image = image.transpose(UPRIGHT[orientation])
            source = image
        renditions.append(_pillow_jpeg(name, image, quality))
    return renditions, image


def _pillow_orientation(im: Image.Image) -> int:
    """The EXIF orientation, 1 when absent, unreadable or out of range."""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not cost the picture
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _pillow_8bit(im: Image.Image) -> Image.Image:
    """8 bits per channel, transparency flattened onto white, still in its own colours."""
    if im.mode.startswith("I"):  # 16/32-bit greyscale: scale, since convert("L") clips
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    elif im.mode in ("1", "F"):
        im = im.convert("L")
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        im = Image.new("RGB", im.size, WHITE)
        im.paste(rgba, mask=rgba.getchannel("A"))
    return im if im.mode in ("RGB", "L", "CMYK") else im.convert("RGB")


def _pillow_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """sRGB (or plain greyscale) through the embedded profile; without a usable one, plainly."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.profileToProfile(
                im, source, SRGB, ImageCms.Intent.RELATIVE_COLORIMETRIC, "RGB"
            )
            assert srgb is not None  # Pillow gives None only when converting in place
            return srgb
        except (ImageCms.PyCMSError, OSError, ValueError) as exc:
            log.info("ignoring an unusable ICC profile: %s", exc)
    return im if im.mode in ("RGB", "L") else im.convert("RGB")


def _pillow_jpeg(name: str, image: Image.Image, quality: int) -> Rendition:
    """Encode one rendition; nothing from the original's info is passed on."""
    buffer = io.BytesIO()
    image.info = {}  # JPEG save would carry over the original's comment
    image.save(buffer, "JPEG", quality=quality, optimize=False, progressive=False)
    width, height = image.size
    return Rendition(name, width, height, "jpeg", buffer.getvalue())
