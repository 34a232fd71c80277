"""Receiving a file: size limit, hashing, sniffing the real format from the bytes."""

from __future__ import annotations

import hashlib
import io

import pytest

from gallery.core.storage import LocalStorage
from gallery.ingest.accept import receive, sniff_format
from gallery.ingest.errors import Rejected


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "uploads")


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "WEBP"),
        (b"GIF89a\x01\x00", "GIF"),
        (b"II*\x00\x08\x00\x00\x00", "TIFF"),
        (b"MM\x00*\x00\x00\x00\x08", "TIFF"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "HEIF"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00", "HEIF"),
    ],
)
def test_sniff_knows_photo_formats(head, fmt):
    assert sniff_format(head) == fmt


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b'<?xml version="1.0"?><svg xmlns=', "SVG"),
        (b"<svg onload=alert(1)>", "SVG"),
        (b"%!PS-Adobe-3.0 EPSF-3.0", "EPS"),
        (b"8BPS\x00\x01", "Photoshop"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
        (b"%PDF-1.7", "PDF"),
        (b"\x00\x00\x00\x1cftypavif", "AVIF"),
        (b"<html><script>alert(1)</script>", "HTML"),
        (b"hello, this is text", "not a photo"),
        (b"BM6\x00\x00\x00", "BMP"),
    ],
)
def test_sniff_refuses_other_formats_by_name(head, words):
    with pytest.raises(Rejected) as caught:
        sniff_format(head)
    assert caught.value.code == "unsupported_format"
    assert caught.value.status == 415
    assert words in caught.value.message
    assert "JPEG, PNG" in caught.value.message  # says what would be accepted


def test_receive_hashes_while_streaming(storage):
    data = b"\xff\xd8\xff" + bytes(range(256)) * 5000
    received = receive(io.BytesIO(data), storage, max_bytes=10**7)
    assert received.sha256 == hashlib.sha256(data).hexdigest()
    assert received.size == len(data)
    assert received.format == "JPEG"
    assert received.extension == "jpg"
    assert received.temp.read_bytes() == data
    assert received.temp.parent == storage.tmp


def test_receive_refuses_too_large_and_leaves_nothing(storage):
    with pytest.raises(Rejected) as caught:
        receive(io.BytesIO(b"\xff\xd8\xff" + b"x" * 3_000_000), storage, max_bytes=2_000_000)
    assert caught.value.code == "too_large"
    assert caught.value.status == 413
    assert list(storage.tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("limit", "said"),
    [(200 * 1024 * 1024, "200 MB"), (1536 * 1024, "1.5 MB"), (5000, "0.00477 MB")],
)
def test_the_size_limit_is_said_as_it_is(storage, limit, said):
    with pytest.raises(Rejected) as caught:
        receive(io.BytesIO(b"\xff\xd8\xff" + b"x" * limit), storage, max_bytes=limit)
    assert str(caught.value) == f"the file is larger than the limit of {said}"


def test_receive_refuses_empty_and_wrong_format_and_leaves_nothing(storage):
    with pytest.raises(Rejected) as empty:
        receive(io.BytesIO(b""), storage, max_bytes=100)
    assert empty.value.code == "empty"
    with pytest.raises(Rejected) as text:
        receive(io.BytesIO(b"just text named .jpg"), storage, max_bytes=100)
    assert text.value.code == "unsupported_format"
    assert list(storage.tmp.iterdir()) == []
