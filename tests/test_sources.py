"""Folders and zip archives are read safely: no zip-slip, no bombs, no nesting."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from gallery.ingest.errors import Rejected
from gallery.ingest.sources import ZipLimits, expand


def _zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def _read(source) -> bytes:
    with source.open() as stream:
        out = io.BytesIO()
        while chunk := stream.read(65536):
            out.write(chunk)
        return out.getvalue()


def test_folder_is_walked_sorted_skipping_clutter(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.jpg", "a.jpg", "sub/c.jpg", ".DS_Store", "Thumbs.db"):
        (tmp_path / name).write_bytes(b"x")
    names = [s.filename for s in expand([tmp_path], ZipLimits())]
    assert names == ["a.jpg", "b.jpg", "c.jpg"]


def test_zip_slip_entries_are_refused_and_good_ones_read(tmp_path):
    archive = _zip(
        tmp_path / "a.zip",
        [("../../evil.jpg", b"1"), ("/abs.jpg", b"2"), ("C:/win.jpg", b"3"), ("ok/fine.jpg", b"4")],
    )
    sources = list(expand([archive], ZipLimits()))
    refused = {s.label: s.problem for s in sources if s.problem}
    assert len(refused) == 3
    assert all("outside the archive" in p.message for p in refused.values())
    good = [s for s in sources if not s.problem]
    assert [s.filename for s in good] == ["fine.jpg"]
    assert _read(good[0]) == b"4"
    assert not (tmp_path.parent / "evil.jpg").exists()


def test_symlink_and_nested_zip_entries_are_refused(tmp_path):
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as out:
        link = zipfile.ZipInfo("link.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, "/etc/passwd")
        out.writestr("inner.zip", b"PK\x03\x04")
    problems = [s.problem.message for s in expand([archive], ZipLimits())]
    assert any("symbolic link" in p for p in problems)
    assert any("archives inside archives" in p for p in problems)


def test_too_many_entries_refuses_the_archive(tmp_path):
    archive = _zip(tmp_path / "many.zip", [(f"{i}.jpg", b"x") for i in range(11)])
    (source,) = expand([archive], ZipLimits(max_entries=10))
    assert source.problem.code == "too_large"
    assert "11 entries" in source.problem.message


def test_zip_bomb_is_refused_by_ratio(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", [("bomb.jpg", b"\0" * 5_000_000)])
    (source,) = expand([archive], ZipLimits())
    assert "zip bomb" in source.problem.message


def test_uncompressed_bytes_are_counted_while_reading(tmp_path):
    data = bytes(range(256)) * 400  # barely compressible: passes the ratio check
    archive = _zip(tmp_path / "big.zip", [("a.jpg", data), ("b.jpg", data)])
    first, second = expand([archive], ZipLimits(max_total_bytes=150_000))
    assert _read(first) == data
    with pytest.raises(Rejected) as caught:
        _read(second)
    assert "more uncompressed data" in caught.value.message


def test_corpus_zips(corpus_dir):
    bad = corpus_dir / "bad" / "generated"
    (many,) = expand([bad / "zip_many_entries.zip"], ZipLimits(max_entries=1000))
    assert many.problem.code == "too_large"
    (bomb,) = expand([bad / "zip_bomb_200MB.zip"], ZipLimits())
    assert (bomb.problem.code, bomb.problem.message) == (
        "too_large",
        "the archive entry is compressed suspiciously well (zip bomb)",
    )
    outside = "the archive entry's path points outside the archive"
    assert _problems(bad / "zip_slip.zip") == [
        ("good.jpg", None),
        *[(name, outside) for name in ("zipslip_evil.jpg", "zipslip_abs.jpg", "zipslip_up.jpg")],
        ("windows_style.jpg", outside),
        ("drive_letter.jpg", outside),
        (".htaccess", None),  # refused when read, as a file of its own would be
        ("link_to_passwd.jpg", "the archive entry is a symbolic link"),
        ("dup.jpg", None),
        ("dup.jpg", None),
    ]
    assert _problems(bad / "zip_nested.zip") == [
        ("level1.zip", "archives inside archives are not opened"),
        ("photo.jpg", None),
    ]


def _problems(archive) -> list[tuple[str, str | None]]:
    """Each entry's name, and why it is refused before it is read (None: it is read)."""
    entries = expand([archive], ZipLimits())
    return [(s.filename, s.problem.message if s.problem else None) for s in entries]
