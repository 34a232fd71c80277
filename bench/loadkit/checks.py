"""After the load: was anything lost, doubled or refused, and does the index still agree?"""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from gallery.core.storage import LocalStorage
from loadkit.server import gallery_command
from loadkit.uploaders import Answer

CHECK_SETTLE_SECONDS = 10.0  # index updates may still be landing when the load stops


@dataclass(frozen=True)
class Verdict:
    name: str
    ok: bool
    detail: str


def duplicates_answered_once(answers: list[Answer]) -> Verdict:
    """Every distinct file sent to an album got exactly one 201; each 409 names that photo."""
    by_file: dict[tuple[str, str], list[Answer]] = defaultdict(list)
    for answer in answers:
        by_file[answer.upload.album, answer.upload.sha256].append(answer)
    wrong = []
    for (album, sha), group in by_file.items():
        created = [a.photo_id for a in group if a.status == 201]
        refused = {a.photo_id for a in group if a.status == 409}
        if len(created) != 1 or not refused <= set(created):
            statuses = sorted(a.status for a in group)
            wrong.append(f"{album} {sha[:12]}: {statuses}, photos {created} / {sorted(refused)}")
    sent_many = sum(len(g) > 1 for g in by_file.values())
    detail = f"{len(by_file)} distinct files, {sent_many} sent by several uploaders at once"
    return Verdict("exactly one 201 per file and album", not wrong, "; ".join(wrong[:5]) or detail)


def nothing_lost(data: Path, answers: list[Answer]) -> Verdict:
    """Every 201 is a row in its album, with its original (right bytes) and renditions."""
    created = [a for a in answers if a.status == 201]
    storage = LocalStorage(data / "uploads")
    with sqlite3.connect(data / "gallery.sqlite3") as connection:
        problems = [p for a in created for p in _photo_problems(connection, storage, a)]
        doubled = connection.execute(
            "SELECT album_id, sha256, count(*) FROM photos GROUP BY album_id, sha256 "
            "HAVING count(*) > 1"
        ).fetchall()
    problems += [f"album {a} holds {sha[:12]} {n} times" for a, sha, n in doubled]
    detail = "; ".join(problems[:10]) or f"{len(created)} uploaded photos all there"
    return Verdict("no lost or doubled photo", not problems, detail)


def _photo_problems(connection, storage: LocalStorage, answer: Answer) -> list[str]:
    row = connection.execute(
        "SELECT a.slug, p.sha256 FROM photos p JOIN albums a ON a.id = p.album_id WHERE p.id = ?",
        (answer.photo_id,),
    ).fetchone()
    if row is None:
        return [f"photo {answer.photo_id} answered 201 but is not in the database"]
    if row != (answer.upload.album, answer.upload.sha256):
        return [f"photo {answer.photo_id} is {row}, not the file sent"]
    original = storage.original_path(answer.upload.sha256, "jpg")
    if not original.exists() or _sha256(original) != answer.upload.sha256:
        return [f"photo {answer.photo_id}: original missing or changed"]
    renditions = connection.execute(
        "SELECT name, format FROM renditions WHERE photo_id = ?", (answer.photo_id,)
    ).fetchall()
    missing = [n for n, f in renditions if not storage.rendition_path(row[1], n, f).exists()]
    if not renditions or missing:
        return [f"photo {answer.photo_id}: renditions missing {missing or 'all'}"]
    return []


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def server_log_clean(log: Path) -> Verdict:
    text = log.read_text(errors="replace")
    locked, tracebacks = text.count("database is locked"), text.count("Traceback")
    detail = f"{locked} 'database is locked', {tracebacks} tracebacks in {log.name}"
    return Verdict("no 'database is locked', no traceback", not (locked or tracebacks), detail)


def index_consistent(data: Path) -> Verdict:
    """`gallery check` exits 0; once more after a pause if index updates were still landing."""
    began = time.monotonic()
    done = _check(data)
    if done.returncode != 0:
        time.sleep(CHECK_SETTLE_SECONDS)
        done = _check(data)
    took = time.monotonic() - began
    output = (done.stdout + done.stderr).strip().splitlines()
    detail = f"exit {done.returncode} after {took:.1f} s: {output[-1] if output else ''}"
    return Verdict("gallery check exits 0", done.returncode == 0, detail)


def _check(data: Path) -> subprocess.CompletedProcess:
    return subprocess.run(gallery_command(data, "check"), capture_output=True, text=True)
