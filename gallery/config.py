"""Every setting: name, default and one line of help. `GALLERY_<NAME>` overrides it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    def parse(self, text: str) -> Any:
        """Turn an environment variable's text into the setting's type."""
        if isinstance(self.default, bool):
            return text.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(self.default, int):
            return int(text)
        if isinstance(self.default, tuple):
            return tuple(int(part) for part in text.replace(",", " ").split())
        return text


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", ".", "Root of the runtime data: database, uploads/ and index/."),
    Setting("DATABASE_URL", "", "SQLAlchemy URL; empty means SQLite gallery.sqlite3 in DATA_DIR."),
    Setting("UPLOADS_DIR", "", "Originals, renditions and tmp; empty means DATA_DIR/uploads."),
    Setting(
        "STORAGE_URL",
        "",
        "Originals and renditions: empty, on disk in UPLOADS_DIR; s3://bucket/prefix, in S3.",
    ),
    Setting("S3_ENDPOINT_URL", "", "S3 server's URL (MinIO, Ceph...); empty means AWS's own."),
    Setting("S3_REGION", "", "S3 region; empty means AWS's environment or configuration."),
    Setting("S3_ACCESS_KEY_ID", "", "S3 access key; empty means AWS's environment or profile."),
    Setting("S3_SECRET_ACCESS_KEY", "", "S3 secret key; empty means AWS's environment or profile."),
    Setting("S3_URL_SECONDS", 86400, "Seconds a rendition's presigned S3 URL works."),
    Setting("INDEX_DIR", "", "Search index directory; empty means DATA_DIR/index."),
    Setting(
        "CORPUS",
        str(PROJECT_ROOT.parent / "shared" / "corpus"),
        "Shared sample photos (tests, demo).",
    ),
    Setting(
        "SECRET_KEY",
        "",
        "Key that signs session cookies; empty: made once in DATA_DIR (one machine only).",
    ),
    Setting("LANGUAGE", "lv", "Interface language when the browser states no preference (lv, en)."),
    Setting("COOKIE_SECURE", False, "Send the session cookie over HTTPS only (set behind TLS)."),
    Setting(
        "LOGIN_MAX_FAILURES", 5, "Failed sign-ins per account and address pair before a pause."
    ),
    Setting(
        "LOGIN_MAX_FAILURES_PER_ADDRESS",
        50,
        "Failed sign-ins from one address, any accounts, before it is paused (a school's NAT).",
    ),
    Setting("LOGIN_PAUSE_MINUTES", 15, "How long sign-in stays paused after too many failures."),
    Setting("SESSION_IDLE_MINUTES", 120, "A signed-in session unused this many minutes ends."),
    Setting("SESSION_MAX_HOURS", 12, "A signed-in session ends this many hours after sign-in."),
    Setting("PASSWORD_RESET_HOURS", 24, "Hours an admin's one-time password reset link works."),
    Setting(
        "ADMIN_2FA_REQUIRED",
        False,
        "Admins must set up two-factor sign-in (TOTP) before the staff pages let them in.",
    ),
    Setting("MAX_UPLOAD_BYTES", 200 * 1024 * 1024, "Largest file accepted, in bytes."),
    Setting("MAX_PIXELS", 100_000_000, "Most pixels in a picture; anything above is a bomb."),
    Setting("MAX_FRAMES", 500, "Most frames accepted in an animated GIF, WebP or PNG."),
    Setting("RENDITION_SIZES", (320, 640, 1280, 2048), "Longest edges of the rendition ladder."),
    Setting("RENDITION_QUALITY", 82, "JPEG quality of renditions (1-95)."),
    Setting("WORKERS", 0, "Decode worker processes; 0 means one per CPU core."),
    Setting("WORKER_MEMORY_MB", 1536, "Address-space cap of each decode worker, in MiB."),
    Setting("WORKER_TIMEOUT", 60, "Seconds a worker may spend on one file before it is killed."),
    Setting(
        "WORKER_NICE",
        10,
        "How much lower decode workers' CPU priority is beside `gallery serve` (0-19).",
    ),
    Setting(
        "QUEUE_URL",
        "",
        "Redis URL of the job queue that decodes uploads on `gallery worker`s; empty: in-process.",
    ),
    Setting(
        "QUEUE_HEARTBEAT",
        60,
        "Seconds without a sign of life before a worker's jobs go to another worker.",
    ),
    Setting("QUEUE_ATTEMPTS", 3, "Times a queued upload is tried before it is reported failed."),
    Setting("ZIP_MAX_ENTRIES", 2000, "Most entries read from one zip archive."),
    Setting("ZIP_MAX_BYTES", 4 * 1024**3, "Most uncompressed bytes read from one zip archive."),
    Setting("ZIP_MAX_RATIO", 200, "Highest compression ratio of a zip entry (bomb guard)."),
    Setting("PUBLIC_URL", "", "Site root for absolute URLs in exports; empty: the request's."),
    Setting("ARTICLE_WIDTH", 800, "Article column width in px (page, export, CLI default)."),
    Setting("ARTICLE_GAP", 8, "Gap between an article's photos, in px."),
    Setting("ARTICLE_MAX_ROW", 4, "Most photos in one row before it is a problem (too small)."),
    Setting("SEARCH_WAIT", 5, "Seconds a request waits for its edits to become searchable."),
    Setting(
        "SEARCH_FOLLOW_MS",
        1000,
        "Milliseconds between an index's looks at the log of every machine's edits; 0: never.",
    ),
    Setting(
        "SEARCH_BUDGET_MS",
        250,
        "CPU milliseconds one search may spend in the index; beyond, it answers 503.",
    ),
    Setting(
        "SEARCH_CLIENT_MS",
        2000,
        "Search CPU milliseconds one client address may use at once, per process; 0: no limit.",
    ),
    Setting(
        "SEARCH_CLIENT_SHARE",
        20,
        "Percent of a core one client address may go on using for search, per process (429).",
    ),
    Setting("ALBUMS_PER_PAGE", 24, "Albums on one page of the home page and the year pages."),
    Setting("ALBUM_ROW_HEIGHT", 220, "Target height in px of an album page's rows of photos."),
    Setting("FEED_ENTRIES", 30, "Newest public albums in the Atom feed (/feed.atom)."),
    Setting("SERVE_PROCESSES", 0, "`gallery serve` processes; 0 means one per CPU core."),
    Setting("SERVE_THREADS", 32, "Request threads per `gallery serve` process."),
    Setting("SERVE_CONNECTIONS", 1000, "Open connections per `gallery serve` process."),
    Setting("SERVE_KEEPALIVE", 5, "Seconds an idle keep-alive connection stays open."),
    Setting("VISITOR_CACHE_MB", 32, "Memory per process for kept anonymous visitor pages."),
    Setting(
        "VISITOR_CACHE_GRACE",
        2,
        "Seconds a kept visitor page may lag a change that only adds (withdrawals: none).",
    ),
)


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then GALLERY_* environment variables, then explicit overrides."""
    config = {s.name: s.default for s in SETTINGS}
    for setting in SETTINGS:
        text = os.environ.get(f"GALLERY_{setting.name}")
        if text is not None:
            config[setting.name] = setting.parse(text)
    config.update(overrides or {})
    return resolve_paths(config)


class SettingError(ValueError):
    """Settings the gallery cannot start with; the message names the setting to fix."""


# Settings that, when set, say several machines share this gallery (some may come later).
SHARED_BY_MACHINES = ("STORAGE_URL", "QUEUE_URL")


def require_shared_secret(config: dict[str, Any]) -> None:
    """Several machines must sign cookies with one key: each would make its own in DATA_DIR,
    and a session signed by one would be refused by the next."""
    if config["SECRET_KEY"] or not several_machines(config):
        return
    raise SettingError(
        "GALLERY_SECRET_KEY must be set when several machines share the gallery (a database "
        "other than SQLite, STORAGE_URL or QUEUE_URL): the same long random value on each"
    )


def several_machines(config: dict[str, Any]) -> bool:
    """Whether the settings are those of a gallery that more than one machine may run."""
    sqlite = str(config["DATABASE_URL"]).startswith("sqlite")
    return not sqlite or any(config.get(name) for name in SHARED_BY_MACHINES)


def resolve_paths(config: dict[str, Any]) -> dict[str, Any]:
    """Fill the empty path settings from DATA_DIR, so one setting moves everything."""
    data = Path(config["DATA_DIR"]).resolve()
    config["DATA_DIR"] = str(data)
    config["UPLOADS_DIR"] = str(Path(config["UPLOADS_DIR"] or data / "uploads").resolve())
    config["INDEX_DIR"] = str(Path(config["INDEX_DIR"] or data / "index").resolve())
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{data / 'gallery.sqlite3'}"
    return config


def worker_count(config: dict[str, Any]) -> int:
    """The configured number of decode workers, one per core by default."""
    return config["WORKERS"] or os.cpu_count() or 1


def settings_table() -> str:
    """The settings as a Markdown table, for the README (a test keeps the two in step)."""
    rows = ["| setting | default | what it is |", "|---|---|---|"]
    for s in SETTINGS:
        default = " ".join(map(str, s.default)) if isinstance(s.default, tuple) else s.default
        if s.name == "CORPUS":
            default = "../shared/corpus"
        shown = f"`{default}`" if default != "" else "(empty)"
        rows.append(f"| `GALLERY_{s.name}` | {shown} | {s.help} |")
    return "\n".join(rows)
