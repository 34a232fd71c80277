"""Every frame of an animation is checked: a later frame that is a decompression bomb is
refused like a first one, from the headers alone (issue 15, "Every frame checked").

The hostile files are made here: a small animation from Pillow whose second frame's
header is then patched to declare a huge size (GIF image descriptor, APNG fcTL, WebP ANMF).
"""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from PIL import Image

from gallery.ingest.decode import Limits, inspect
from gallery.ingest.errors import Rejected

BOX = (3, 5, 7, 9)  # where the second frame differs from the first: left, top, width, height


def animation(fmt: str, frames: int = 2, size: tuple[int, int] = (32, 24)) -> bytes:
    """An ordinary animation whose frames after the first differ from it in BOX only."""
    first = Image.new("RGB", size, (200, 0, 0))
    others = []
    for n in range(1, frames):
        other = first.copy()
        left, top, width, height = BOX
        other.paste((0, 0, 8 * n % 256), (left, top, left + width, top + height))
        others.append(other)
    out = io.BytesIO()
    first.save(out, fmt, save_all=True, append_images=others, duration=100, loop=0)
    return out.getvalue()


def gif_with_second_frame(left: int, top: int, width: int, height: int) -> bytes:
    """Pillow writes the second frame as BOX only: patch that image descriptor."""
    data = animation("GIF")
    descriptor = b"\x2c" + struct.pack("<4H", *BOX)
    assert data.count(descriptor) == 1
    return data.replace(descriptor, b"\x2c" + struct.pack("<4H", left, top, width, height))


def png_chunks(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, type) of every chunk of a PNG."""
    found, at = [], 8
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        found.append((at, kind))
        at += 12 + length
    return found


def apng_with_second_frame(left: int, top: int, width: int, height: int) -> bytes:
    """Patch the second fcTL chunk (sequence, width, height, x, y, ...) and its CRC."""
    data = bytearray(animation("PNG"))
    at = [offset for offset, kind in png_chunks(bytes(data)) if kind == b"fcTL"][1]
    struct.pack_into(">4I", data, at + 12, width, height, left, top)
    body = bytes(data[at + 4 : at + 8 + 26])
    struct.pack_into(">I", data, at + 8 + 26, zlib.crc32(body))
    return bytes(data)


def riff_chunks(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, fourcc) of the top-level chunks of a RIFF WebP."""
    found, at = [], 12
    while at + 8 <= len(data):
        kind, size = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        found.append((at, kind))
        at += 8 + size + size % 2
    return found


def webp_with_second_frame(left: int, top: int, width: int, height: int) -> bytes:
    """Patch the second ANMF chunk: X/2, Y/2, width-1, height-1 as 24-bit little-endian."""
    data = bytearray(animation("WEBP"))
    at = [offset for offset, kind in riff_chunks(bytes(data)) if kind == b"ANMF"][1]
    fields = (left // 2, top // 2, width - 1, height - 1)
    data[at + 8 : at + 20] = b"".join(value.to_bytes(3, "little") for value in fields)
    return bytes(data)


HOSTILE = {
    "GIF": gif_with_second_frame,
    "PNG": apng_with_second_frame,
    "WEBP": webp_with_second_frame,
}
EXTENSIONS = {"GIF": "gif", "PNG": "png", "WEBP": "webp"}


def refusal(path, fmt, limits: Limits | None = None) -> Rejected:
    with pytest.raises(Rejected) as caught:
        inspect(path, fmt, limits or Limits())
    return caught.value


@pytest.mark.parametrize("fmt", sorted(HOSTILE))
def test_a_bomb_in_the_second_frame_is_refused(tmp_path, fmt):
    path = tmp_path / f"bomb.{EXTENSIONS[fmt]}"
    # WebP sizes are 24 bits, GIF's 16: the largest GIF frame is 65535 x 65535
    path.write_bytes(HOSTILE[fmt](0, 0, 65535, 65535))
    started = time.perf_counter()
    rejected = refusal(path, fmt)
    assert time.perf_counter() - started < 0.5
    assert (rejected.code, rejected.status) == ("too_many_pixels", 413)
    assert rejected.message == (
        "frame 2 of the animation has 4294.8 megapixels; the limit is 100 megapixels"
    )


@pytest.mark.parametrize("fmt", sorted(HOSTILE))
def test_a_frame_placed_far_outside_the_picture_counts_what_a_decoder_allocates(tmp_path, fmt):
    # 2 x 2 pixels of its own, but a decoder that grows the canvas to hold it makes
    # 50002 x 50003 pixels: the frame's offset counts as much as its size.
    path = tmp_path / f"far.{EXTENSIONS[fmt]}"
    path.write_bytes(HOSTILE[fmt](50000, 50000, 2, 3))
    rejected = refusal(path, fmt)
    assert rejected.code == "too_many_pixels"
    assert rejected.message.startswith("frame 2 of the animation has 2500.3 megapixels")


@pytest.mark.parametrize("fmt", sorted(HOSTILE))
def test_the_canvas_limit_is_inclusive(tmp_path, fmt):
    path = tmp_path / f"edge.{EXTENSIONS[fmt]}"
    path.write_bytes(HOSTILE[fmt](0, 0, 100, 100))  # the union: 100 x 100
    assert inspect(path, fmt, Limits(max_pixels=10_000)).frames == 2
    rejected = refusal(path, fmt, Limits(max_pixels=9_999))
    assert rejected.message == (
        "frame 2 of the animation has 10,000 pixels; the limit is 9,999 pixels"
    )


@pytest.mark.parametrize("fmt", sorted(HOSTILE))
def test_ordinary_animations_pass(tmp_path, fmt):
    path = tmp_path / f"plain.{EXTENSIONS[fmt]}"
    path.write_bytes(animation(fmt, frames=12))
    header = inspect(path, fmt, Limits())
    assert (header.width, header.height, header.frames) == (32, 24, 12)


@pytest.mark.corpus
def test_the_first_frames_refusal_keeps_its_words(corpus_dir):
    # the 44-byte GIF whose first frame is the bomb, as before: the picture, not a frame
    rejected = refusal(corpus_dir / "bad/pillow/decompression_bomb.gif", "GIF")
    assert rejected.message == "the picture has 4364.7 megapixels; the limit is 100 megapixels"


def test_500_frames_cost_a_few_milliseconds(tmp_path):
    path = tmp_path / "long.gif"
    path.write_bytes(animation("GIF", frames=500, size=(64, 48)))
    inspect(path, "GIF", Limits())  # warm up
    started = time.perf_counter()
    assert inspect(path, "GIF", Limits()).frames == 500
    assert time.perf_counter() - started < 0.25


# --- through the upload route ------------------------------------------------------


@pytest.fixture
def api(client, runner, users):
    token = runner.invoke(args=["users", "token", "staff@school.lv"]).output.strip()

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    answer = call("POST", "/albums", json={"slug": "fest", "title": "Fest"})
    assert answer.status_code == 201, answer.json
    return call


def upload(api, data: bytes, name: str):
    files = {"file": (io.BytesIO(data), name)}
    return api("POST", "/albums/fest/photos", data=files, content_type="multipart/form-data")


@pytest.mark.parametrize("fmt", sorted(HOSTILE))
def test_the_upload_route_refuses_a_late_bomb_and_takes_ordinary_animations(api, fmt):
    extension = EXTENSIONS[fmt]
    bomb = upload(api, HOSTILE[fmt](0, 0, 65535, 65535), f"bomb.{extension}")
    assert bomb.status_code == 413, bomb.json
    assert bomb.json["error"]["code"] == "too_many_pixels"
    assert "frame 2 of the animation" in bomb.json["error"]["message"]
    plain = upload(api, animation(fmt, frames=5), f"plain.{extension}")
    assert plain.status_code == 201, plain.json
    assert plain.json["photo"]["width"] == 32
