"""Content-addressed originals and atomic rendition writes."""

from __future__ import annotations

import os
import stat

from gallery.core.storage import LocalStorage, write_atomic

SHA = "ab" * 32


def test_original_is_sharded_by_hash_and_read_only(tmp_path):
    storage = LocalStorage(tmp_path)
    temp = storage.temp_path()
    temp.write_bytes(b"photo")
    final = storage.put_original(temp, SHA, "jpg")
    assert final == tmp_path / "originals" / "ab" / "ab" / f"{SHA}.jpg"
    assert final.read_bytes() == b"photo"
    assert not temp.exists()
    assert not os.stat(final).st_mode & stat.S_IWUSR


def test_same_bytes_are_stored_once(tmp_path):
    storage = LocalStorage(tmp_path)
    for _ in range(2):
        temp = storage.temp_path()
        temp.write_bytes(b"photo")
        storage.put_original(temp, SHA, "jpg")
    assert len(list((tmp_path / "originals").rglob("*.jpg"))) == 1
    assert list(storage.tmp.iterdir()) == []


def test_atomic_write_leaves_no_temp_on_failure(tmp_path):
    final = tmp_path / "out" / "a.jpg"
    final.parent.mkdir()
    final.mkdir()  # a directory in the way makes the rename fail
    temp = tmp_path / "tmp-1"
    try:
        write_atomic(final, b"data", temp)
    except OSError:
        pass
    else:
        raise AssertionError("renaming over a directory should fail")
    assert not temp.exists()


def test_rendition_written_under_hash_folder(tmp_path):
    storage = LocalStorage(tmp_path)
    path = storage.write_rendition(SHA, "320", "jpeg", b"jpegdata")
    assert path == tmp_path / "renditions" / "ab" / "ab" / SHA / "320.jpg"
    assert path.read_bytes() == b"jpegdata"
    assert list(storage.tmp.iterdir()) == []
    storage.remove_renditions(SHA)
    assert not path.exists()


def test_clean_temp_removes_only_old_files(tmp_path):
    storage = LocalStorage(tmp_path)
    old, new = storage.temp_path(), storage.temp_path()
    old.write_bytes(b"x")
    new.write_bytes(b"y")
    os.utime(old, (0, 0))
    assert storage.clean_temp(older_than=3600) == 1
    assert not old.exists() and new.exists()
