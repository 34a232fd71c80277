"""render: the rendition ladder from real files, on the libvips path and the Pillow fallback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import pyvips
from PIL import Image, ImageFilter, ImageOps, ImageStat

from gallery.ingest import renditions
from gallery.ingest.decode import TRUNCATED, Limits, inspect
from gallery.ingest.errors import Rejected
from gallery.ingest.renditions import Rendered, Rendition, RenditionSpec, plan, render
from tests.helpers.images import write_image

SUFFIX_FORMATS = {
    ".jpg": "JPEG",
    ".png": "PNG",
    ".apng": "PNG",
    ".gif": "GIF",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".heic": "HEIF",
    ".heif": "HEIF",
}


def fmt_of(path: Path) -> str:
    """The format of a known-good sample, as the caller's sniffer would report it."""
    return SUFFIX_FORMATS[path.suffix.lower()]


def process(path: Path, spec: RenditionSpec | None = None) -> Rendered:
    """inspect + render, as the worker does."""
    return render(path, inspect(path, fmt_of(path), Limits()), spec or RenditionSpec())


def picture(rendition: Rendition) -> Image.Image:
    """The rendition decoded, checked against its declared size."""
    with Image.open(io.BytesIO(rendition.data), formats=["JPEG"]) as image:
        image.load()
        assert image.size == (rendition.width, rendition.height)
        return image.copy()


def quadrants(image: Image.Image) -> list[float]:
    """Mean of each channel in each quarter: a cheap picture fingerprint."""
    image, (w, h) = image.convert("RGB"), image.size
    boxes = (
        (0, 0, w // 2, h // 2),
        (w // 2, 0, w, h // 2),
        (0, h // 2, w // 2, h),
        (w // 2, h // 2, w, h),
    )
    return [mean for box in boxes for mean in ImageStat.Stat(image.crop(box)).mean]


def close(a: list[float], b: list[float], tolerance: float) -> bool:
    """Every value within tolerance of its counterpart."""
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


@pytest.fixture(params=["libvips", "pillow"])
def engine(request, monkeypatch) -> str:
    """Run the test on the libvips fast path and again on the Pillow fallback."""
    if request.param == "pillow":

        def cannot(*args):
            raise renditions._VipsCannot("forced by the test")

        monkeypatch.setattr(renditions, "_render_vips", cannot)
    return request.param


def test_plan():
    sizes = RenditionSpec().sizes
    assert plan(4000, sizes) == [("2048", 2048), ("1280", 1280), ("640", 640), ("320", 320)]
    assert plan(640, sizes) == [("640", 640), ("320", 320)]
    assert plan(500, sizes) == [("640", 500), ("320", 320)]  # never upscaled, full size kept
    assert plan(200, sizes) == [("320", 200)]


@pytest.mark.parametrize("size", [(4000, 3000), (3000, 4000), (5000, 1000)])
def test_ladder_keeps_the_aspect(engine, make_jpeg, size):
    rendered = process(make_jpeg(size=size))
    assert (rendered.width, rendered.height) == size
    assert [r.name for r in rendered.renditions] == ["2048", "1280", "640", "320"]
    for rendition in rendered.renditions:
        long_edge = int(rendition.name)
        assert max(rendition.width, rendition.height) == long_edge
        assert abs(min(rendition.width, rendition.height) - min(size) * long_edge / max(size)) <= 1
        assert rendition.format == "jpeg"
        assert picture(rendition).mode == "RGB"


def test_small_pictures_are_never_upscaled(engine, make_jpeg):
    rendered = process(make_jpeg(size=(500, 300)))
    assert [(r.name, r.width, r.height) for r in rendered.renditions] == [
        ("640", 500, 300),
        ("320", 320, 192),
    ]
    tiny = process(make_jpeg(size=(200, 100)))
    assert [(r.name, r.width, r.height) for r in tiny.renditions] == [("320", 200, 100)]


def test_fast_path_decodes_the_file_once_and_resizes_the_largest(make_jpeg, monkeypatch):
    """Each smaller size is made from the largest rendition, not from the next larger one
    (halving twice in a row loses detail)."""
    calls = []
    for name in ("thumbnail", "new_from_file", "thumbnail_image"):
        real = getattr(pyvips.Image, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            source = args[0].width if _name == "thumbnail_image" else None
            calls.append((_name, source, args[1] if len(args) > 1 else None))
            return _real(*args, **kwargs)

        monkeypatch.setattr(pyvips.Image, name, spy)
    process(make_jpeg(size=(4000, 3000)))
    assert calls == [("thumbnail", None, 2048)] + [
        ("thumbnail_image", 2048, size) for size in (1280, 640, 320)
    ]


def test_orientations_give_the_same_upright_picture(engine, corpus_dir):
    folder = corpus_dir / "photos/jpg/orientation"
    upright = quadrants(picture(process(folder / "landscape_1.jpg").renditions[-1]))
    for n in range(1, 9):
        rendered = process(folder / f"landscape_{n}.jpg")
        assert (rendered.width, rendered.height) == (600, 450), n
        smallest = rendered.renditions[-1]
        assert (smallest.name, smallest.width, smallest.height) == ("320", 320, 240)
        assert close(quadrants(picture(smallest)), upright, 6), n


@pytest.mark.parametrize("n", [2, 3, 4, 6, 7, 8])
def test_hopper_orientations_match_exif_transpose(engine, corpus_dir, n):
    path = corpus_dir / f"bad/pillow/hopper_orientation_{n}.jpg"
    with Image.open(path) as original:
        expected = quadrants(ImageOps.exif_transpose(original))
    assert close(quadrants(picture(process(path).renditions[0])), expected, 6)


@pytest.mark.parametrize("orientation", [6, 8])
def test_displayed_size_swaps_for_quarter_turns(engine, make_jpeg, orientation):
    rendered = process(make_jpeg(size=(400, 200), exif={0x0112: orientation}))
    assert (rendered.width, rendered.height) == (200, 400)
    assert [(r.width, r.height) for r in rendered.renditions] == [(200, 400), (160, 320)]


def jpeg_markers(data: bytes) -> set[int]:
    """The segment markers before the picture data (APPn, COM, ...)."""
    markers, at = set(), 2
    while at + 4 <= len(data) and data[at] == 0xFF and data[at + 1] != 0xDA:
        markers.add(data[at + 1])
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return markers


def test_no_private_metadata_in_any_rendition(engine, corpus_dir, make_jpeg):
    gps = {0x8825: {1: "N", 2: (56.0, 57.0, 1.5), 3: "E", 4: (24.0, 6.0, 2.0)}}
    made = make_jpeg(
        size=(700, 500),
        exif={0x010F: "Camera", 0x0112: 6, **gps},
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>',
        icc_profile=p3_profile(),
        comment=b"taken at home",
    )
    for path in (
        made,
        corpus_dir / "bad/pillow/exif_gps.jpg",
        corpus_dir / "photos/jpg/gps/DSCN0010.jpg",
    ):
        for rendition in process(path).renditions:
            image = picture(rendition)
            assert not image.getexif()
            assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(image.info)
            # only JFIF (APP0) and the picture's own tables: no APP1-15, no comment
            assert not jpeg_markers(rendition.data) & ({0xFE} | set(range(0xE1, 0xF0)))


def p3_profile() -> bytes:
    """libvips' built-in Display P3 profile."""
    black = pyvips.Image.black(1, 1, bands=3).copy(interpretation="srgb")
    return black.icc_transform("p3", input_profile="srgb").get("icc-profile-data")


def test_cmyk_comes_out_rgb_with_the_right_colours(engine, tmp_path):
    path = tmp_path / "cmyk.jpg"
    image = Image.new("CMYK", (300, 200), (0, 0, 0, 0))  # white
    image.paste((0, 255, 255, 0), (0, 0, 150, 200))  # red left half
    image.save(path, quality=95)
    out = picture(process(path).renditions[0])
    assert out.mode == "RGB"
    red, white = out.getpixel((40, 100)), out.getpixel((260, 100))
    assert red[0] > 180 and red[1] < 90 and red[2] < 90, red
    assert min(white) > 230, white


def test_embedded_profile_is_converted_to_srgb(engine, tmp_path):
    p3 = {"color": (200, 100, 50), "quality": 98, "icc_profile": p3_profile()}
    path = write_image(tmp_path / "p3.jpg", (64, 64), **p3)
    # Display P3 (200, 100, 50) is sRGB (215, 93, 32); untouched it would stay (200, 100, 50)
    got = picture(process(path).renditions[0]).getpixel((32, 32))
    assert close(list(got), [215, 93, 32], 6), got


@pytest.mark.parametrize(
    "name",
    ["transparent.png", "p_trns_single.png", "l_trns.png", "rgb_trns.png", "transparent.gif"]
    + ["transparent.webp"],
)
def test_transparency_is_flattened_onto_white(engine, corpus_dir, name):
    path = corpus_dir / "bad/pillow" / name
    with Image.open(path) as original:
        alpha = original.convert("RGBA").getchannel("A")
    # pixels whose whole 5x5 neighbourhood is transparent (away from JPEG edge ringing)
    clear = alpha.filter(ImageFilter.MaxFilter(5)).point(lambda a: 255 if a == 0 else 0)
    box = clear.getbbox()
    assert box, "the sample has no transparent area"
    x, y = next(
        (x, y)
        for y in range(box[1], box[3])
        for x in range(box[0], box[2])
        if clear.getpixel((x, y))
    )
    rendition = process(path).renditions[0]
    assert (rendition.width, rendition.height) == alpha.size
    pixel = picture(rendition).convert("RGB").getpixel((x, y))
    assert min(pixel) > 235, (x, y, pixel)


def test_16bit_png_is_scaled_not_clipped(engine, corpus_dir):
    path = corpus_dir / "bad/generated/png16_gray.png"
    with Image.open(path) as original:
        expected = original.getpixel((64, 10)) / 257  # 32768 -> ~128
    got = picture(process(path).renditions[0]).convert("L").getpixel((64, 10))
    assert abs(got - expected) <= 6, (got, expected)


def test_16bit_tiffs(engine, corpus_dir, tmp_path):
    path = tmp_path / "gray16.tif"
    ramp = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize((256, 64))
    ramp.point(lambda v: v * 257, "I").convert("I;16").save(path)
    got = picture(process(path).renditions[0]).convert("L")
    assert abs(got.getpixel((128, 32)) - 128) <= 8
    assert process(corpus_dir / "bad/pillow/tiff_16bit_RGB.tiff").renditions[0].width == 100


def test_heic_renders_with_pillow(corpus_dir, monkeypatch):
    def fail(*args):
        raise AssertionError("HEIF must not go to libvips")

    monkeypatch.setattr(renditions, "_render_vips", fail)
    rendered = process(corpus_dir / "photos/heic/IMG_5195.HEIC")
    assert (rendered.width, rendered.height) == (2566, 3313)
    assert [(r.name, r.height) for r in rendered.renditions][0] == ("2048", 2048)
    small = process(corpus_dir / "photos/heic/samplefilehub.heif").renditions
    assert [(r.width, r.height) for r in small] == [(640, 426), (320, 213)]


@pytest.mark.parametrize(
    "name", ["pillow/truncated_image.png", "pillow/truncated_end_chunk.png", "pillow/ultrahdr.jpg"]
)
def test_truncated_corpus_files_are_corrupt(engine, corpus_dir, name):
    with pytest.raises(Rejected) as caught:
        process(corpus_dir / "bad" / name)
    assert (caught.value.code, caught.value.message) == ("corrupt", TRUNCATED)


def test_jpeg_cut_in_half_is_corrupt(engine, make_jpeg, tmp_path):
    whole = make_jpeg(size=(800, 600), quality=90)
    half = tmp_path / "half.jpg"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    header = inspect(half, "JPEG", Limits())  # the header is intact
    with pytest.raises(Rejected) as caught:
        render(half, header, RenditionSpec())
    assert (caught.value.code, caught.value.message) == ("corrupt", TRUNCATED)


@pytest.mark.parametrize("name", ["iss634.gif", "iss634.webp", "iss634.apng"])
def test_animations_render_frame_zero(engine, corpus_dir, name):
    path = corpus_dir / "bad/pillow" / name
    with Image.open(path) as first:
        frame = first.convert("RGBA")
    white = Image.new("RGBA", frame.size, "white")
    expected = quadrants(Image.alpha_composite(white, frame))
    rendered = process(path)
    assert [(r.width, r.height) for r in rendered.renditions] == [(245, 245)]
    assert close(quadrants(picture(rendered.renditions[0])), expected, 8)


def test_libvips_disagreeing_with_pillow_falls_back(corpus_dir):
    # libvips reads this polyglot as 1x1, Pillow (and inspect) as 10799x1
    rendered = process(corpus_dir / "bad/generated/polyglot_gif_js.gif")
    assert (rendered.renditions[0].width, rendered.renditions[0].height) == (2048, 1)
