"""Backup and restore: real data directories, real snapshots (SQLite's backup API, or pg_dump
with GALLERY_TEST_DATABASE), real files and index."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from gallery import create_app
from gallery.catalog import trash
from gallery.core import db
from gallery.core.models import CaptionShortcut, NearDuplicate, Photo
from gallery.core.states import Label, Pick
from gallery.core.storage import LocalStorage, file_sha256
from gallery.culling import stacks
from gallery.ops import postgres_snapshots
from gallery.ops.backup import BackupDir, run_backup
from gallery.ops.engines import database_part
from gallery.ops.restore import DataDir
from gallery.ops.snapshots import BackupError
from tests.helpers import databases
from tests.helpers.apps import migrated_app
from tests.helpers.images import write_images
from tests.helpers.servers import free_port, gallery, serving

ON_POSTGRES = databases.on_postgres()
SIZE = (320, 240)  # of the photos imported: small, and quick to render

# Every table that holds what people made; renditions are rebuilt, so compared apart.
KEPT_TABLES = (
    "albums",
    "photos",
    "articles",
    "article_photos",
    "users",
    "api_tokens",
    "audit_events",
    "stacks",  # culling: photos' marks, measures and stacks are columns of "photos"
    "near_duplicates",
    "caption_shortcuts",
)


def newest_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(db.MIGRATIONS)).get_current_head()


def ok(runner, *args, stdin: str | None = None) -> str:
    result = runner.invoke(args=[str(arg) for arg in args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def unmigrated(data: Path) -> Path:
    """A data directory whose database is empty (on PostgreSQL, a database with no tables)."""
    if ON_POSTGRES:
        databases.url_for(data, migrated=False)
    return data


def holds(data: Path) -> list[str]:
    """What the data directory's database holds, on either engine."""
    return database_part(databases.database_url(data)).holds()


@contextmanager
def bare_app(data: Path):
    """An app over a data directory that nothing has migrated: restore's starting point."""
    unmigrated(data)
    app = create_app({"DATA_DIR": str(data), "TESTING": True, "WORKERS": 2, "LANGUAGE": "en"})
    try:
        yield app
    finally:
        app.extensions["gallery.engine"].dispose()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A gallery with two albums, an article, a user with a token, an edited caption and
    culling's work: marks, a stack, a near-duplicate, a caption shortcut."""
    root = tmp_path_factory.mktemp("backup-source")
    with migrated_app(root / "data", WORKERS=2, LANGUAGE="en") as app:
        runner = app.test_cli_runner()
        add = ("users", "add", "admin@school.lv", "--role", "admin", "--password-stdin")
        ok(runner, *add, stdin="admin-password-1\n")
        ok(runner, "users", "token", "admin@school.lv")
        ok(runner, "import", "--album", "day", *write_images(root / "day", [SIZE] * 5))
        ok(runner, "import", "--album", "night", *write_images(root / "night", [SIZE] * 3, first=6))
        ok(runner, "albums", "set", "day", "--visibility", "public", "--title", "Sporta diena")
        article = root / "article.txt"
        article.write_text("Sporta diena\n\nSkrējām pa pļavu.\n\n1 2 3\n", encoding="utf-8")
        ok(runner, "article", "import", str(article), "--album", "day")
        with app.app_context():
            session = db.get_session()
            first = session.scalars(select(Photo).order_by(Photo.id)).first()
            first.caption = "Zirgi skrien pa pļavu"
            day = session.scalars(select(Photo).order_by(Photo.id)).all()[:3]
            day[0].pick, day[0].rating, day[0].label = Pick.PICK, 4, Label.BLUE
            stacks.merge(session, day[1:3])
            session.add(NearDuplicate(photo_id=day[2].id, duplicate_of=day[0].id, distance=5))
            session.add(CaptionShortcut(code="=dt=", text="Daugavpils tehnikums"))
            session.commit()
    return root / "data"


@pytest.fixture(scope="module")
def backup_dir(source, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("backups") / "school"
    printed = gallery(source, "backup", str(dest))
    assert "8 photos in 2 albums, 1 article, 1 user" in printed, printed
    assert "8 copied" in printed, printed
    return dest


def select_all(data: Path, query: str) -> list[tuple]:
    """Rows of the data directory's database, on either engine."""
    engine = create_engine(databases.database_url(data), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(query))]
    finally:
        engine.dispose()


def rows(data: Path, table: str) -> list[tuple]:
    found = select_all(data, f"SELECT * FROM {table} ORDER BY 1, 2")
    assert found or table in ("api_tokens",), f"nothing in {table} to compare"
    return found


def renditions(data: Path) -> list[tuple]:
    query = "SELECT photo_id, name, width, height, format FROM renditions ORDER BY photo_id, name"
    return select_all(data, query)


# --- backup then restore ------------------------------------------------------------------


@pytest.mark.slow
def test_restore_into_an_empty_directory_gives_the_same_gallery(source, backup_dir, tmp_path):
    target = unmigrated(tmp_path / "restored")
    printed = gallery(target, "restore", str(backup_dir))
    assert "8 originals verified and put back" in printed, printed
    try:
        gallery(target, "check")
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"gallery check found problems in the restored gallery:\n{exc.stdout}")
    for table in KEPT_TABLES:
        assert rows(target, table) == rows(source, table), table
    assert renditions(target) == renditions(source)
    restored = LocalStorage(target / "uploads")
    joined = "renditions JOIN photos ON photo_id = photos.id"
    made = select_all(target, f"SELECT sha256, name, renditions.format FROM {joined}")
    for sha, name, fmt in made:
        assert restored.rendition_path(sha, name, fmt).is_file()
    hits = [json.loads(line) for line in gallery(target, "search", "zirgs", "--json").splitlines()]
    assert [hit["number"] for hit in hits] == [1] and hits[0]["album"] == "day"


@pytest.mark.slow
def test_restore_refuses_a_directory_that_is_not_empty(app, runner, backup_dir):
    result = runner.invoke(args=["restore", str(backup_dir)])
    assert result.exit_code == 1
    held = "the database gallery_" if ON_POSTGRES else "gallery.sqlite3"
    assert f"is not empty (it holds {held}" in result.output, result.output
    with app.app_context():
        assert db.get_session().scalars(select(Photo)).all() == []


@pytest.mark.slow
def test_restore_reports_a_damaged_original_and_restores_the_rest(backup_dir, tmp_path):
    damaged = tmp_path / "damaged-backup"
    shutil.copytree(backup_dir, damaged)
    manifest = BackupDir(damaged).manifest()
    victim = min(BackupDir(damaged).read(manifest).originals, key=str)
    path = BackupDir(damaged).files.original_path(victim.sha256, victim.extension)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with bare_app(tmp_path / "restored") as app:
        result = app.test_cli_runner().invoke(args=["restore", str(damaged)])
    assert result.exit_code == 1, result.output
    assert "original damaged (its bytes differ from its hash) in the backup: " in result.output
    assert f"sha256 {victim.sha256}" in result.output
    assert "7 originals verified and put back" in result.output
    restored = LocalStorage(tmp_path / "restored" / "uploads")
    assert not restored.original_path(victim.sha256, victim.extension).exists()


@pytest.mark.slow
def test_restore_refuses_a_snapshot_whose_database_is_damaged(backup_dir, tmp_path):
    damaged = tmp_path / "damaged-backup"
    shutil.copytree(backup_dir, damaged)
    database = BackupDir(damaged).database(BackupDir(damaged).manifest())
    database.chmod(0o644)
    if ON_POSTGRES:  # pg_dump compresses its rows: one bit of them flipped
        dumped = bytearray(database.read_bytes())
        dumped[len(dumped) // 2] ^= 0x01
        database.write_bytes(bytes(dumped))
    else:
        with closing(sqlite3.connect(database)) as conn, conn:
            conn.execute("UPDATE albums SET title = 'changed behind the manifest'")
    with bare_app(tmp_path / "restored") as app:
        result = app.test_cli_runner().invoke(args=["restore", str(damaged)])
    assert result.exit_code == 1
    assert "database is damaged" in result.output
    assert holds(tmp_path / "restored") == []


@pytest.mark.slow
def test_restore_refuses_a_snapshot_from_a_newer_gallery(backup_dir, tmp_path):
    newer = tmp_path / "newer-backup"
    shutil.copytree(backup_dir, newer)
    manifest = BackupDir(newer).manifest()
    manifest["schema_revision"] = "9999"
    (newer / "db" / f"{manifest['name']}.json").write_text(json.dumps(manifest))
    with bare_app(tmp_path / "restored") as app:
        result = app.test_cli_runner().invoke(args=["restore", str(newer)])
    assert result.exit_code == 1
    assert "was made by a newer gallery" in result.output
    assert not (tmp_path / "restored" / "uploads").exists()


# --- incremental backups, pruning, problems in the data directory -------------------------


def test_a_second_backup_copies_only_new_originals(app, runner, tmp_path):
    made = tmp_path / "made"
    ok(runner, "import", "--album", "day", *write_images(made, [SIZE] * 4))
    dest = tmp_path / "backup"
    first = json.loads(ok(runner, "backup", str(dest), "--json"))
    assert (first["originals"]["copied"], first["originals"]["already_there"]) == (4, 0)
    ok(runner, "import", "--album", "day", *write_images(made, [SIZE] * 2, first=5))
    second = json.loads(ok(runner, "backup", str(dest), "--json"))
    assert (second["originals"]["copied"], second["originals"]["already_there"]) == (2, 4)
    assert len(list((dest / "originals").glob("*/*/*"))) == 6
    kept = BackupDir(dest).manifests()
    assert [m["counts"]["photos"] for m in kept] == [4, 6]  # the first snapshot is untouched
    assert second["schema_revision"] == newest_revision() and second["app_version"]
    listed = ok(runner, "restore", str(dest), "--list").splitlines()
    assert [line.split()[0] for line in listed] == [first["name"], second["name"]]
    with bare_app(tmp_path / "restored") as restored:
        printed = ok(restored.test_cli_runner(), "restore", str(dest), "--snapshot", first["name"])
        assert f"restored snapshot {first['name']}" in printed
        with restored.app_context():
            assert len(db.get_session().scalars(select(Photo)).all()) == 4


def test_keep_prunes_old_snapshots_and_the_originals_only_they_use(app, runner, tmp_path):
    ok(runner, "import", "--album", "day", *write_images(tmp_path / "made", [SIZE] * 3))
    dest = tmp_path / "backup"
    ok(runner, "backup", str(dest))
    with app.app_context():  # what emptying the trash does
        session = db.get_session()
        gone = session.scalars(select(Photo).where(Photo.number == 2)).one()
        trash.trash(gone)
        trash.empty_trash(session, app.extensions["gallery.storage"], "test")
    printed = ok(runner, "backup", str(dest), "--keep", "1")
    assert "pruned 1 old snapshot and 1 original no kept snapshot uses" in printed
    assert [m["counts"]["photos"] for m in BackupDir(dest).manifests()] == [2]
    kept = {path.stem for path in (dest / "originals").glob("*/*/*")}
    assert kept == {sha for sha, _ in _shas(app)} and gone.sha256 not in kept


def _shas(app) -> list[tuple[str, str]]:
    with app.app_context():
        return list(db.get_session().execute(select(Photo.sha256, Photo.format)))


class TrashEmptiedMidway(LocalStorage):
    """The gallery's storage, with an admin emptying the trash as the backup starts copying."""

    def __init__(self, root: Path, empty_trash) -> None:
        super().__init__(root)
        self.empty_trash = empty_trash

    def original_path(self, sha256: str, ext: str) -> Path:
        if self.empty_trash is not None:
            self.empty_trash()
            self.empty_trash = None
        return super().original_path(sha256, ext)


def test_the_trash_emptied_during_a_backup_makes_a_fresh_snapshot(app, runner, tmp_path):
    ok(runner, "import", "--album", "day", *write_images(tmp_path / "made", [SIZE] * 3))
    storage = app.extensions["gallery.storage"]
    with app.app_context():
        session = db.get_session()
        trash.trash(session.scalars(select(Photo).where(Photo.number == 2)).one())
        session.commit()

    def empty_trash() -> None:  # what POST /api/v1/trash/empty does
        with app.app_context():
            trash.empty_trash(db.get_session(), storage, "test")

    dest = tmp_path / "backup"
    racing = TrashEmptiedMidway(storage.root, empty_trash)
    manifest = run_backup(app.config["DATABASE_URL"], racing, dest)
    assert manifest["attempts"] == 2
    assert manifest["counts"]["photos"] == 2
    assert_consistent(BackupDir(dest), manifest)


def test_an_original_missing_from_the_data_directory_fails_the_backup(app, runner, tmp_path):
    ok(runner, "import", "--album", "day", *write_images(tmp_path / "made", [SIZE] * 2))
    storage = app.extensions["gallery.storage"]
    (sha, _fmt), *_ = _shas(app)
    storage.remove_original(sha, "jpg")
    result = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 1
    assert "original missing in the data directory, so it is not in this backup: day #" in (
        result.output
    )
    assert sha in result.output
    manifest = BackupDir(tmp_path / "backup").manifest()  # the rest is safe all the same
    assert manifest["originals"]["copied"] == 1 and manifest["originals"]["missing"] == [sha]


def test_a_database_other_than_sqlite_or_postgresql_is_refused(tmp_path):
    storage = LocalStorage(tmp_path / "uploads")
    with pytest.raises(BackupError, match="handle SQLite and PostgreSQL, not mysql"):
        run_backup("mysql://gallery@db.school.lv/gallery", storage, tmp_path / "backup")
    assert not (tmp_path / "backup").exists()
    config = {"DATA_DIR": tmp_path, "UPLOADS_DIR": tmp_path, "INDEX_DIR": tmp_path}
    with pytest.raises(BackupError, match="not mysql"):
        DataDir.from_config({**config, "DATABASE_URL": "mysql://db/gallery"})


def test_a_snapshot_goes_back_only_into_its_own_engine(app, runner, tmp_path):
    dest = tmp_path / "backup"
    made = json.loads(ok(runner, "backup", str(dest), "--json"))
    other = "sqlite" if ON_POSTGRES else "postgresql"
    assert made["database"]["engine"] == ("postgresql" if ON_POSTGRES else "sqlite")
    manifest = {**made, "database": {**made["database"], "engine": other}}
    (dest / "db" / f"{made['name']}.json").write_text(json.dumps(manifest))
    with bare_app(tmp_path / "restored") as restored:
        result = restored.test_cli_runner().invoke(args=["restore", str(dest)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"snapshot {made['name']} is of a {other} database and this gallery's" in (result.output)
    assert holds(tmp_path / "restored") == []


postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="needs GALLERY_TEST_DATABASE")


@postgres_only
def test_without_pg_dump_a_backup_says_what_to_install(app, tmp_path, monkeypatch):
    monkeypatch.setattr(postgres_snapshots, "DEBIAN_BINARIES", tmp_path / "none")
    monkeypatch.setenv("PATH", str(tmp_path / "none"))
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "pg_dump is not installed" in result.output, result.output
    assert list((tmp_path / "backup" / "db").glob("*")) == []
    assert list((tmp_path / "backup" / "tmp").glob("*")) == []


@postgres_only
def test_a_server_that_refuses_the_connection_fails_the_backup_cleanly(tmp_path):
    refused = f"postgresql+psycopg://gallery@127.0.0.1:{free_port()}/gallery"
    printed = subprocess.run(
        [sys.executable, "-m", "gallery", "--data", str(tmp_path), "backup", str(tmp_path / "b")],
        env={**os.environ, "GALLERY_DATABASE_URL": refused},
        capture_output=True,
        text=True,
    )
    assert printed.returncode == 1 and "Traceback" not in printed.stderr
    assert "pg_dump failed" in printed.stderr and "refused" in printed.stderr, printed.stderr
    assert list((tmp_path / "b" / "db").glob("*")) == []
    assert list((tmp_path / "b" / "tmp").glob("*")) == []


@postgres_only
def test_a_dump_is_read_as_postgresql_wrote_it(app, runner, tmp_path):
    """COPY text escapes tabs, newlines and backslashes: a file name with all three."""
    ok(runner, "import", "--album", "day", *write_images(tmp_path / "made", [SIZE]))
    odd = "a\tb\nc\\d \\N š.jpg"
    with app.app_context():
        session = db.get_session()
        session.scalars(select(Photo)).one().filename = odd
        session.commit()
    dest = tmp_path / "backup"
    manifest = json.loads(ok(runner, "backup", str(dest), "--json"))
    (sha, _fmt), *_ = _shas(app)
    assert BackupDir(dest).read(manifest).counts["photos"] == 1
    (described,) = BackupDir(dest).photos_using(manifest, [sha])
    assert described.startswith(f"day #1 {odd!r} (photo "), described


# --- a backup while staff upload through the production server ----------------------------


def upload(url: str, token: str, path: Path) -> int:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"'
        "\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    request = urllib.request.Request(
        f"{url}/api/v1/albums/day/photos",
        data=head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_backups_taken_while_uploads_go_on_are_consistent(tmp_path):
    data, dest = tmp_path / "live", tmp_path / "backup"
    with migrated_app(data) as app:
        runner = app.test_cli_runner()
        add = ("users", "add", "s@school.lv", "--role", "staff", "--password-stdin")
        ok(runner, *add, stdin="staff-password-1\n")
        token = ok(runner, "users", "token", "s@school.lv").strip()
        ok(runner, "albums", "create", "day")
        database_url = app.config["DATABASE_URL"]
    files = write_images(tmp_path / "made", [(900, 600)] * 16)
    storage = LocalStorage(data / "uploads")
    with serving(data, env={"GALLERY_WORKERS": "2"}) as url, ThreadPoolExecutor(4) as pool:
        uploads = [pool.submit(upload, url, token, path) for path in files]
        counts = []
        while not all(future.done() for future in uploads):
            # Checked at once: the next backup would copy what this one missed.
            counts.append(backup_and_check(database_url, storage, dest))
            time.sleep(0.05)
        statuses = [future.result() for future in uploads]
        counts.append(backup_and_check(database_url, storage, dest))
    assert statuses == [201] * len(files)
    assert any(0 < count < len(files) for count in counts), counts  # some taken mid-upload
    assert counts[-1] == len(files)


def backup_and_check(database_url: str, storage: LocalStorage, dest: Path) -> int:
    """Back up, check the snapshot is consistent, and return how many photos it holds."""
    manifest = run_backup(database_url, storage, dest)
    assert_consistent(BackupDir(dest), manifest)
    return manifest["counts"]["photos"]


def assert_consistent(backup: BackupDir, manifest: dict) -> None:
    """Every photo row of the snapshot has its original, whole, in the backup."""
    database = backup.database(manifest)
    assert file_sha256(database) == manifest["database"]["sha256"]
    assert manifest["originals"]["missing"] == manifest["originals"]["damaged"] == []
    for original in backup.read(manifest).originals:
        path = backup.files.original_path(original.sha256, original.extension)
        assert file_sha256(path) == original.sha256
    # Rows and their renditions commit as one: no photo of a snapshot lacks them.
    if ON_POSTGRES:
        dumped = list(postgres_snapshots.dumped_rows(database, ("photos", "renditions")))
        photos = {row["id"] for table, row in dumped if table == "photos"}
        rendered = {row["photo_id"] for table, row in dumped if table == "renditions"}
        assert photos <= rendered
    else:
        with closing(sqlite3.connect(database)) as conn:
            bare = "SELECT COUNT(*) FROM photos WHERE id NOT IN (SELECT photo_id FROM renditions)"
            assert conn.execute(bare).fetchone()[0] == 0
