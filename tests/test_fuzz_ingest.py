"""Property: whatever mutation of a real camera JPEG goes in, a stored photo or a clean
refusal comes out; never a crash, a hang, a half-stored file or a refusal without words.

Real JPEGs of the shared corpus (their EXIF as cameras wrote it) are mutated by Hypothesis
(bit flips, byte runs overwritten, truncation, marker segments duplicated or inserted with
honest or lying lengths, EXIF bytes garbled) and fed to the real ingest: the CLI's and the
web's `import_sources`, through one real worker pool shared by every example, into SQLite
and the Whoosh index. Derandomized and without an example database, so CI sees the same
examples every run; `FUZZ_EXAMPLES=2000` runs a longer (still repeatable) search locally.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from gallery.catalog.albums import get_or_create
from gallery.catalog.imports import import_sources
from gallery.config import load_config
from gallery.core import db
from gallery.core.models import Photo
from gallery.ingest.accept import EXTENSIONS
from gallery.ingest.errors import STATUS
from gallery.ingest.sources import Source
from gallery.ingest.workers import WorkerPool
from tests.helpers.apps import migrated_app

SEEDS = (
    "Canon_40D.jpg",  # maker notes and an EXIF thumbnail
    "Fujifilm_FinePix_E500.jpg",
    "Nikon_D70.jpg",
    "gps/DSCN0010.jpg",  # GPS
    "orientation/landscape_6.jpg",  # turned a quarter
    "xmp/BlueSquare.jpg",  # XMP
    "exif-org/kodak-dc210.jpg",
    "invalid/image01551.jpg",  # EXIF that once crashed readers
)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
WORKER_TIMEOUT = 10  # a hang shows up as a refusal for time, which fails the property
# A worker that died, ran out of memory or time, or met an exception nothing explains.
CRASHES = {"decoder_failed"}
METADATA_MARKERS = (0xE1, 0xED)  # APP1 (EXIF, XMP), APP13 (IPTC)


@functools.cache
def _seed(name: str) -> bytes:
    return (Path(load_config()["CORPUS"]) / "photos" / "jpg" / name).read_bytes()


def segments(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each marker segment, the scan and what follows being the last."""
    found, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        if data[at + 1] == 0xDA:  # start of scan: entropy-coded data to the end
            found.append((at, len(data)))
            break
        end = at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        found.append((at, min(end, len(data))))
        at = end
    return found


# Mutations: the file's bytes and drawn numbers in, new bytes out. Positions are taken
# modulo the length, so that Hypothesis can draw (and shrink) them before knowing it.


def flip(data: bytes, at: int, bit: int) -> bytes:
    at %= len(data)
    return data[:at] + bytes([data[at] ^ (1 << bit)]) + data[at + 1 :]


def overwrite(data: bytes, at: int, run: bytes) -> bytes:
    at %= len(data)
    return data[:at] + run + data[at + len(run) :]


def truncate(data: bytes, at: int) -> bytes:
    return data[: at % len(data)]


def duplicate(data: bytes, which: int, where: int) -> bytes:
    """Copy one marker segment (or the scan) in front of another."""
    parts = segments(data)
    if not parts:
        return data
    start, end = parts[which % len(parts)]
    at = parts[where % len(parts)][0]
    return data[:at] + data[start:end] + data[at:]


def insert(data: bytes, where: int, marker: int, payload: bytes, honest: bool) -> bytes:
    """A new marker segment whose length field tells the truth, or not."""
    parts = segments(data)
    at = parts[where % len(parts)][0] if parts else 2
    length = len(payload) + 2 if honest else (len(payload) * 7 + 1) & 0xFFFF
    return data[:at] + bytes([0xFF, marker]) + length.to_bytes(2, "big") + payload + data[at:]


def garble_exif(data: bytes, at: int, run: bytes) -> bytes:
    """Overwrite bytes inside the EXIF block (anywhere, in a file without one)."""
    for start, end in segments(data):
        if data[start + 1] == 0xE1 and data[start + 4 : start + 10] == b"Exif\x00\x00":
            inside = start + 10 + at % max(end - start - 10, 1)
            run = run[: end - inside]
            return data[:inside] + run + data[inside + len(run) :]
    return overwrite(data, at, run)


POSITION = st.integers(min_value=0, max_value=2**20)
MUTATIONS = st.one_of(
    st.tuples(st.just(flip), POSITION, st.integers(0, 7)),
    st.tuples(st.just(overwrite), POSITION, st.binary(min_size=1, max_size=64)),
    st.tuples(st.just(truncate), POSITION),
    st.tuples(st.just(duplicate), POSITION, POSITION),
    st.tuples(
        st.just(insert), POSITION, st.integers(0xC0, 0xFE), st.binary(max_size=300), st.booleans()
    ),
    st.tuples(st.just(garble_exif), POSITION, st.binary(min_size=1, max_size=32)),
)


@st.composite
def mutated_jpegs(draw) -> bytes:
    seed = draw(st.sampled_from(SEEDS))
    data = _seed(seed)
    for mutate, *args in draw(st.lists(MUTATIONS, min_size=1, max_size=4)):
        note(f"{seed}: {mutate.__name__}{tuple(args)}")  # shown with a failing example
        data = mutate(data, *args) if data else data  # an empty file stays empty
    return data


class _Errors(logging.Handler):
    """Errors the ingest logged: an exception it did not expect, even if it coped."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@dataclass
class Ingest:
    album_id: int
    pool: WorkerPool
    errors: _Errors


@pytest.fixture(scope="module")
def ingest(tmp_path_factory):
    """A gallery, one album and one worker pool for every example."""
    data = tmp_path_factory.mktemp("fuzz")
    errors = _Errors()
    logging.getLogger("gallery").addHandler(errors)
    with migrated_app(data, WORKERS=2, WORKER_TIMEOUT=WORKER_TIMEOUT) as app, app.app_context():
        session = db.get_session()
        album = get_or_create(session, "fuzz", "Fuzz")
        session.commit()
        album_id = album.id
        app.extensions["gallery.storage"].ensure()
        pool = WorkerPool.from_config(app.config)
        try:
            yield Ingest(album_id, pool, errors)
        finally:
            pool.stop()
            logging.getLogger("gallery").removeHandler(errors)


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=2 * WORKER_TIMEOUT),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=mutated_jpegs())
def test_a_mutated_jpeg_is_stored_whole_or_refused_cleanly(ingest, data):
    # Hypothesis seeds the global `random` alike for every example, and Whoosh names its
    # segment files with it: without fresh entropy, examples' index segments would collide.
    random.seed()
    storage = current_app.extensions["gallery.storage"]
    temp_before = set(storage.tmp.iterdir())  # only this example's leftovers are its fault
    source = Source("fuzzed.jpg", "fuzzed.jpg", lambda: io.BytesIO(data))
    (outcome,) = import_sources(ingest.album_id, [source], ingest.pool)
    event(f"{outcome.status} {outcome.code or ''}".strip())  # --hypothesis-show-statistics
    assert ingest.errors.records == [], ingest.errors.records
    if outcome.status in ("imported", "duplicate"):
        _assert_stored(storage, outcome.photo_id, data)
    else:
        _assert_refused(storage, outcome, data)
    assert set(storage.tmp.iterdir()) - temp_before == set()


def _assert_stored(storage, photo_id: int, data: bytes) -> None:
    with db.session_factory()() as session:
        photo = session.get(Photo, photo_id)
        assert photo.sha256 == hashlib.sha256(data).hexdigest()
        original = storage.original_path(photo.sha256, EXTENSIONS[photo.format])
        assert original.read_bytes() == data
        assert photo.renditions
        for rendition in photo.renditions:
            path = storage.rendition_path(photo.sha256, rendition.name, rendition.format)
            encoded = path.read_bytes()
            with Image.open(io.BytesIO(encoded)) as image:
                image.load()  # decodes to the last byte: a truncated rendition raises here
                assert image.size == (rendition.width, rendition.height)
            found = [encoded[s + 1] for s, _e in segments(encoded)]
            assert not set(found) & set(METADATA_MARKERS), (rendition.name, found)


def _assert_refused(storage, outcome, data: bytes) -> None:
    assert outcome.status == "rejected", outcome
    assert outcome.code in STATUS and outcome.code not in CRASHES, outcome
    assert outcome.error and len(outcome.error) > 15, outcome
    sha = hashlib.sha256(data).hexdigest()
    with db.session_factory()() as session:
        assert session.scalar(select(Photo.id).where(Photo.sha256 == sha)) is None
    assert not list((storage.root / "originals").rglob(f"{sha}.*"))
    assert not (storage.root / "renditions" / sha[:2] / sha[2:4] / sha).exists()
