"""inspect: header-only checks that refuse bombs, endless animations and multi-page TIFFs."""

from __future__ import annotations

import csv
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from gallery.ingest.decode import MULTIPAGE, TRUNCATED, Header, Limits, inspect
from gallery.ingest.errors import Rejected
from gallery.ingest.renditions import RenditionSpec, render

PROJECT = Path(__file__).resolve().parents[1]
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
# fuzzer reproducers that have crashed libtiff: only ever opened in a child process
FUZZ_TIFFS = ("crash-", "oom-", "libtiff_segfault.tif", "tiff_overflow_rows_per_strip.tif")


def sniff(path: Path) -> str | None:
    """The real format from magic bytes, as the caller passes it."""
    with path.open("rb") as file:
        head = file.read(16)
    for magic, fmt in ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG")):
        if head.startswith(magic):
            return fmt
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "HEIF"
    return None


def refusal(path: Path, fmt: str, limits: Limits | None = None) -> Rejected:
    """The Rejected that inspect raises for this file."""
    with pytest.raises(Rejected) as caught:
        inspect(path, fmt, limits or Limits())
    return caught.value


def test_reads_the_header(make_jpeg):
    path = make_jpeg(size=(640, 480), exif={0x0112: 6})
    assert inspect(path, "JPEG", Limits()) == Header("JPEG", 640, 480, 1, "RGB")


@pytest.mark.parametrize(
    ("name", "fmt", "size"),
    [
        ("generated/bomb_header_60000x60000.png", "PNG", "3600 megapixels"),
        ("generated/bomb_header_60000x60000.jpg", "JPEG", "3600 megapixels"),
        ("pillow/decompression_bomb.gif", "GIF", "4364.7 megapixels"),
    ],
)
def test_bombs_are_refused_fast_and_without_allocating(corpus_dir, name, fmt, size):
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rejected = refusal(corpus_dir / "bad" / name, fmt)
    assert time.perf_counter() - started < 1
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert grown_kib < 50 * 1024  # decoding would need gigabytes
    assert rejected.code == "too_many_pixels"
    assert size in rejected.message
    assert "the limit is 100" in rejected.message


def test_the_pixel_limit_is_inclusive(make_jpeg):
    path = make_jpeg(size=(100, 100))
    assert inspect(path, "JPEG", Limits(max_pixels=10_000)).width == 100
    # just above the limit Pillow only warns; the warning must refuse too
    rejected = refusal(path, "JPEG", Limits(max_pixels=9_999))
    assert rejected.code == "too_many_pixels"
    assert rejected.message == "the picture has 10,000 pixels; the limit is 9,999 pixels"


def test_pillow_settings_are_restored(make_jpeg):
    before = Image.MAX_IMAGE_PIXELS
    refusal(make_jpeg(), "JPEG", Limits(max_pixels=5))
    inspect(make_jpeg(), "JPEG", Limits(max_pixels=123_456))
    assert before == Image.MAX_IMAGE_PIXELS


@pytest.mark.parametrize("name", ["pillow/multipage.tiff", "generated/tiff_1000_pages.tif"])
def test_multipage_tiff_is_refused(corpus_dir, name):
    rejected = refusal(corpus_dir / "bad" / name, "TIFF")
    assert (rejected.code, rejected.message) == ("unsupported_format", MULTIPAGE)


def test_a_single_page_tiff_is_accepted(corpus_dir):
    header = inspect(corpus_dir / "bad/pillow/tiff_16bit_RGB.tiff", "TIFF", Limits())
    assert (header.width, header.height, header.frames) == (100, 40, 1)


def test_too_many_frames(corpus_dir):
    rejected = refusal(corpus_dir / "bad/generated/gif_3000_frames.gif", "GIF")
    assert rejected.code == "too_many_frames"
    assert rejected.message == "the animation has 3000 frames; the limit is 500"


@pytest.mark.parametrize(
    ("name", "fmt", "frames"),
    [("iss634.gif", "GIF", 42), ("iss634.webp", "WEBP", 42), ("iss634.apng", "PNG", 41)],
)
def test_frame_cap_applies_to_every_animation(corpus_dir, name, fmt, frames):
    path = corpus_dir / "bad/pillow" / name
    assert inspect(path, fmt, Limits(max_frames=frames)).frames == frames
    assert refusal(path, fmt, Limits(max_frames=frames - 1)).code == "too_many_frames"


def test_mpo_extra_pictures_are_not_frames(corpus_dir):
    header = inspect(corpus_dir / "bad/pillow/sugarshack_bad_mpo_header.jpg", "JPEG", Limits())
    assert header.frames == 1


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("pillow/hopper_bad_exif.jpg", (500, 500)),
        ("pillow/sugarshack_bad_mpo_header.jpg", (640, 480)),
    ],
)
def test_pillow_warnings_do_not_refuse(corpus_dir, name, size):
    # the suite runs with -W error: a leaked UserWarning would fail here
    header = inspect(corpus_dir / "bad" / name, "JPEG", Limits())
    assert (header.width, header.height) == size


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("pillow/broken_data_stream.png", "PNG", "the PNG data is corrupt (bad checksum)"),
        ("pillow/truncated_end_chunk.png", "PNG", TRUNCATED),
        ("pillow/truncated_image.png", "PNG", TRUNCATED),
        ("pillow/broken.png", "PNG", "the file starts like a PNG image but its header is damaged"),
        (
            "pillow/zero_width.gif",
            "GIF",
            "the file starts like a GIF image but its header is damaged",
        ),
        (
            "pillow/apng_syntax_num_frames_zero.png",
            "PNG",
            "the PNG picture data is damaged and cannot be decoded",
        ),
    ],
)
def test_damaged_files_get_a_specific_message(corpus_dir, name, fmt, message):
    rejected = refusal(corpus_dir / "bad" / name, fmt)
    assert (rejected.code, rejected.message) == ("corrupt", message)


def test_truncated_uncompressed_tiff(tmp_path):
    whole = tmp_path / "whole.tif"
    Image.linear_gradient("L").resize((300, 200)).save(whole)
    cut = tmp_path / "cut.tif"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 9 // 10])
    assert inspect(whole, "TIFF", Limits()).width == 300
    assert refusal(cut, "TIFF").message == TRUNCATED


@pytest.mark.parametrize(("content", "fmt"), [(b"", "JPEG"), (b"hello, world", "PNG")])
def test_not_a_picture_at_all(tmp_path, content, fmt):
    path = tmp_path / "not-a-picture"
    path.write_bytes(content)
    assert refusal(path, fmt).code == "corrupt"


def test_unknown_format_and_missing_file(tmp_path, make_jpeg):
    assert refusal(make_jpeg(), "BMP").code == "unsupported_format"
    assert refusal(tmp_path / "gone.jpg", "JPEG").code == "decoder_failed"


# --- every hostile file, and decoders that may crash natively -----------------------


def manifest(corpus_dir: Path) -> list[tuple[Path, str]]:
    """(file, expected) for every image-looking file of the bad corpus."""
    with (corpus_dir / "bad/MANIFEST.tsv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    found = [(corpus_dir / "bad" / row["file"], row["expected"]) for row in rows]
    return [(path, expected) for path, expected in found if sniff(path)]


def test_every_bad_corpus_file_gets_its_expected_outcome(corpus_dir):
    cases = [(p, e) for p, e in manifest(corpus_dir) if not p.name.startswith(FUZZ_TIFFS)]
    assert len(cases) > 50
    wrong = []
    for path, expected in cases:
        try:
            header = inspect(path, sniff(path), Limits())
            outcome = f"rendered {len(render(path, header, RenditionSpec()).renditions)}"
        except Rejected as exc:
            outcome = f"rejected {exc.code}"
        fine = (
            outcome.startswith("rendered")
            if expected == "ACCEPT"
            else (outcome.startswith("rejected") or sniff(path) in ("TIFF", "HEIF"))
        )
        if not fine:
            wrong.append(f"{path.name}: expected {expected}, {outcome}")
    assert not wrong


CHILD = """
import resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))  # as the worker does
from gallery.ingest.decode import Limits, inspect
from gallery.ingest.errors import Rejected
from gallery.ingest.renditions import RenditionSpec, render
path, fmt = Path(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
try:
    rendered = render(path, inspect(path, fmt, Limits()), RenditionSpec())
except Rejected as exc:
    print("rejected", exc.code)
else:
    # VmHWM, not ru_maxrss: a forked child's ru_maxrss starts at the parent's (pytest's) RSS
    status = Path("/proc/self/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) // 1024
    print("rendered", rendered.width, rendered.height, peak, time.perf_counter() - started)
"""


# the decoders alone, without inspect's checks in front of them
RAW_DECODERS = """
import sys, warnings
import pyvips
from PIL import Image
warnings.simplefilter("ignore")
try:
    pyvips.Image.thumbnail(sys.argv[1], 2048, fail_on="truncated").copy_memory()
except pyvips.Error:
    pass
try:
    with Image.open(sys.argv[1], formats=["TIFF"]) as image:
        image.load()
except Exception:
    pass
print("survived")
"""


def in_child(path: Path, fmt: str, script: str = CHILD) -> subprocess.CompletedProcess:
    """Run a script on the file in a fresh interpreter that may die without taking us along."""
    command = [sys.executable, "-W", "error", "-c", script, str(path), fmt]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=PROJECT)


@pytest.mark.slow
def test_fuzz_tiffs_cannot_take_the_parent_down(corpus_dir):
    folder = corpus_dir / "bad/pillow"
    paths = [p for p in sorted(folder.glob("*.tif")) if p.name.startswith(FUZZ_TIFFS)]
    assert len(paths) == 5
    for path in paths:
        for script, clean in ((CHILD, ("rejected", "rendered")), (RAW_DECODERS, ("survived",))):
            child = in_child(path, "TIFF", script)
            # a clean answer, or a native crash (killed by a signal) that left us running;
            # with Pillow 13 + libvips 8.18 none crashes, but the worker pool must not rely on it
            assert child.returncode < 0 or child.stdout.startswith(clean), (
                path.name,
                child.returncode,
                child.stderr[-500:],
            )


@pytest.mark.slow
def test_24_megapixel_jpeg_stays_well_under_200_mb(tmp_path):
    path = tmp_path / "big.jpg"
    noise = Image.effect_noise((6000, 4000), 40)
    ramp = Image.linear_gradient("L").resize((6000, 4000))
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.merge("RGB", (ramp, noise, ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM))).save(
        path, quality=90, exif=exif
    )
    child = in_child(path, "JPEG")
    assert child.returncode == 0, child.stderr[-500:]
    verdict, width, height, peak_mb, _seconds = child.stdout.split()
    assert (verdict, width, height) == ("rendered", "4000", "6000")
    assert int(peak_mb) < 150
