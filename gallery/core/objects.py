"""Media in an S3 bucket, shared by every machine: `s3://bucket/prefix` (STORAGE_URL).

Keys mirror the disk's layout under the prefix (originals/ab/cd/<sha256>.<ext>,
renditions/ab/cd/<sha256>/<name>.<ext>), so the check's listing and a move between the two
need no mapping. A PUT is atomic (readers see the old object or the whole new one), so no
temp name is needed in the bucket. tmp/ and its methods stay on this machine's UPLOADS_DIR
(a LocalStorage); cache/ there keeps local copies for decoders and exports. Originals never
change, so a cached one never goes stale; a rendition rendered again on another machine
may (the same picture, encoded anew) until the copy is removed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from gallery.core.storage import ABANDONED_AFTER, CHUNK, Listed, LocalStorage, write_atomic

MISSING = {"404", "NoSuchKey", "NotFound"}


class ObjectStorage:
    """Originals and renditions in a bucket; temp files and a cache on this machine."""

    shared = True
    keep_copies = True  # keep what this machine stores in cache/ too (off for a move)

    def __init__(self, url: str, local: str | Path, client: Any, url_seconds: int = 86400):
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"STORAGE_URL {url!r} is not s3://bucket/prefix")
        self.url, self.bucket, self.prefix = url, parts.netloc, parts.path.strip("/")
        # A name for stored files, as the check reports them; nothing lives there on disk.
        self.root = Path("/", self.bucket, self.prefix)
        self.local = LocalStorage(local)
        self.cache = LocalStorage(Path(local) / "cache")
        self.client = client
        self.url_seconds = url_seconds

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ObjectStorage:
        return cls(
            config["STORAGE_URL"],
            config["UPLOADS_DIR"],
            client_for(config),
            config["S3_URL_SECONDS"],
        )

    # --- tmp/ on this machine: LocalStorage's own methods ---------------------------------

    @property
    def tmp(self) -> Path:
        return self.local.tmp

    def ensure(self) -> None:
        """This machine's tmp/; and the bucket, reached now so a wrong setting shows at
        `gallery init` or an import's start, not at its first photo."""
        self.local.tmp.mkdir(parents=True, exist_ok=True)
        self.client.head_bucket(Bucket=self.bucket)

    def temp_path(self, suffix: str = "") -> Path:
        return self.local.temp_path(suffix)

    def clean_temp(self, older_than: float = 0) -> int:
        return self.local.clean_temp(older_than)

    def clean_abandoned_temp(self, max_age: float = ABANDONED_AFTER) -> int:
        return self.local.clean_abandoned_temp(max_age)

    def writing(self) -> Any:
        return self.local.writing()

    def writers_alive(self, max_age: float = ABANDONED_AFTER) -> bool:
        return self.local.writers_alive(max_age)

    # --- names ------------------------------------------------------------------------------

    def original_path(self, sha256: str, ext: str) -> Path:
        return self.root / self.cache.original_path(sha256, ext).relative_to(self.cache.root)

    def rendition_path(self, sha256: str, name: str, fmt: str) -> Path:
        path = self.cache.rendition_path(sha256, name, fmt)
        return self.root / path.relative_to(self.cache.root)

    def key(self, path: Path) -> str:
        return "/".join(filter(None, (self.prefix, str(path.relative_to(self.root)))))

    # --- writes -------------------------------------------------------------------------------

    def put_original(self, temp: Path, sha256: str, ext: str) -> Path:
        """Upload a received temp file (multipart for large ones: it appears whole or not at
        all); the same bytes are stored once. The temp file becomes the cached copy."""
        path = self.original_path(sha256, ext)
        if not self.exists(path):
            self.client.upload_file(str(temp), self.bucket, self.key(path))
        if self.keep_copies:
            self.cache.put_original(temp, sha256, ext)
        else:
            temp.unlink(missing_ok=True)
        return path

    def write_rendition(self, sha256: str, name: str, fmt: str, data: bytes) -> Path:
        path = self.rendition_path(sha256, name, fmt)
        self.client.put_object(
            Bucket=self.bucket, Key=self.key(path), Body=data, ContentType=f"image/{fmt}"
        )
        if self.keep_copies:  # the import reads the smallest one back at once (culling)
            cached = self.cache.rendition_path(sha256, name, fmt)
            write_atomic(cached, data, self.temp_path(cached.suffix))
        return path

    def put_incoming(self, temp: Path) -> str:
        """Keep an upload in the bucket for whichever worker takes its job; its key."""
        key = f"{uuid.uuid4().hex}{temp.suffix}"
        self.client.upload_file(str(temp), self.bucket, self._incoming_key(key))
        temp.unlink(missing_ok=True)
        return key

    @contextmanager
    def incoming(self, key: str) -> Iterator[Path]:
        """A kept upload downloaded to this machine's tmp/ for as long as the block runs."""
        temp = self.temp_path(Path(key).suffix)
        try:
            self.client.download_file(self.bucket, self._incoming_key(key), str(temp))
            yield temp
        finally:
            temp.unlink(missing_ok=True)

    def remove_incoming(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._incoming_key(key))

    def _incoming_key(self, key: str) -> str:
        return "/".join(filter(None, (self.prefix, "incoming", key)))

    def remove_original(self, sha256: str, ext: str) -> None:
        self.delete(self.original_path(sha256, ext))
        self.cache.remove_original(sha256, ext)

    def remove_renditions(self, sha256: str) -> None:
        self.keep_renditions(sha256, set())
        self.cache.remove_renditions(sha256)

    def keep_renditions(self, sha256: str, keep: set[tuple[str, str]]) -> None:
        wanted = {self.key(self.rendition_path(sha256, name, fmt)) for name, fmt in keep}
        folder = self.key(self.rendition_path(sha256, "x", "jpeg").parent) + "/"
        for key in [k for k, _size, _when in self._list(folder) if k not in wanted]:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        self.cache.keep_renditions(sha256, keep)

    # --- reads ----------------------------------------------------------------------------------

    def original_size(self, sha256: str, ext: str) -> int | None:
        head = self._head(self.original_path(sha256, ext))
        return None if head is None else head["ContentLength"]

    def local_original(self, sha256: str, ext: str) -> Path | None:
        """The cached copy, fetched on a miss; None when the bucket lacks it."""
        cached = self.cache.local_original(sha256, ext)
        if cached is None and self._fetch(self.original_path(sha256, ext)):
            cached = self.cache.local_original(sha256, ext)
        return cached

    def open_original(self, sha256: str, ext: str) -> BinaryIO:
        return self._open(self.original_path(sha256, ext))

    def local_rendition(self, sha256: str, name: str, fmt: str) -> Path | None:
        cached = self.cache.local_rendition(sha256, name, fmt)
        if cached is None and self._fetch(self.rendition_path(sha256, name, fmt)):
            cached = self.cache.local_rendition(sha256, name, fmt)
        return cached

    def rendition_url(self, sha256: str, name: str, fmt: str, public: bool) -> str | None:
        """A presigned URL; the bucket answers it with the caching the app would have sent."""
        scope = "public" if public else "private"
        params = {
            "Bucket": self.bucket,
            "Key": self.key(self.rendition_path(sha256, name, fmt)),
            "ResponseCacheControl": f"{scope}, max-age={self.url_seconds // 2}",
        }
        return self.client.generate_presigned_url("get_object", params, self.url_seconds)

    def origin(self) -> str:
        """Scheme and host that rendition URLs point at (the pages' CSP allows it)."""
        parts = urlsplit(self.client.meta.endpoint_url)
        return f"{parts.scheme}://{parts.netloc}"

    # --- stored files by path, for `gallery check` and its repair -----------------------------

    def scan(self, folder: str) -> Iterator[Listed]:
        """Every object below folder/, in key order (S3 lists in it: hash order here)."""
        top = self.key(self.root / folder) + "/"
        now = time.time()
        for key, size, when in self._list(top):
            *parts, name = key[len(top) :].split("/")
            place = str(self.root / folder / "/".join(parts)) if parts else str(self.root / folder)
            yield tuple(parts), place, name, size, now - when

    def exists(self, path: Path) -> bool:
        return self._head(path) is not None

    def age(self, path: Path) -> float:
        head = self._head(path)
        if head is None:
            raise FileNotFoundError(str(path))
        return time.time() - head["LastModified"].timestamp()

    def hash_file(self, path: Path) -> str:
        digest = hashlib.sha256()
        with self._open(path) as body:
            while chunk := body.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def delete(self, path: Path) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(path))

    def move_aside(self, path: Path, target: Path) -> None:
        """Copy, then delete: S3 has no rename (the caller picked an unused target)."""
        source = {"Bucket": self.bucket, "Key": self.key(path)}
        self.client.copy_object(Bucket=self.bucket, Key=self.key(target), CopySource=source)
        self.delete(path)

    def matching(self, pattern: str) -> list[Path]:
        fixed = pattern.split("*", 1)[0]
        keys = (key for key, _size, _when in self._list(self.key(self.root / fixed)))
        full = self.key(self.root / pattern)
        return sorted(
            self.root / k[len(self.prefix) :].lstrip("/")
            for k in keys
            if fnmatch.fnmatchcase(k, full)
        )

    def append_text(self, path: Path, text: str) -> None:
        """Read, add, write back: repair's notes, written by one process at a time."""
        try:
            with self._open(path) as body:
                old = body.read()
        except FileNotFoundError:
            old = b""
        self.client.put_object(Bucket=self.bucket, Key=self.key(path), Body=old + text.encode())

    # --- the bucket ---------------------------------------------------------------------------

    def _list(self, prefix: str) -> Iterator[tuple[str, int, float]]:
        pages = self.client.get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", ()):
                yield item["Key"], item["Size"], item["LastModified"].timestamp()

    def _head(self, path: Path) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.key(path))
        except ClientError as exc:
            if _code(exc) in MISSING:
                return None
            raise

    def _open(self, path: Path) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(path))["Body"]
        except ClientError as exc:
            if _code(exc) in MISSING:
                raise FileNotFoundError(str(path)) from exc
            raise OSError(str(exc)) from exc

    def _fetch(self, path: Path) -> bool:
        """Download an object into the cache (temp name, then rename); False if missing."""
        cached = self.cache.root / path.relative_to(self.root)
        temp = self.temp_path(cached.suffix)
        try:
            self.client.download_file(self.bucket, self.key(path), str(temp))
        except ClientError as exc:
            temp.unlink(missing_ok=True)
            if _code(exc) in MISSING:
                return False
            raise
        cached.parent.mkdir(parents=True, exist_ok=True)
        temp.replace(cached)
        return True


def client_for(config: dict[str, Any]) -> Any:
    """A boto3 S3 client from the settings; empty ones fall back on AWS's own environment
    (AWS_ACCESS_KEY_ID, AWS_PROFILE, an instance role...)."""
    # Another server than AWS's: path-style URLs stay on its own host (MinIO, Ceph, moto).
    style = "path" if config["S3_ENDPOINT_URL"] else "auto"
    return boto3.client(
        "s3",
        endpoint_url=config["S3_ENDPOINT_URL"] or None,
        region_name=config["S3_REGION"] or None,
        aws_access_key_id=config["S3_ACCESS_KEY_ID"] or None,
        aws_secret_access_key=config["S3_SECRET_ACCESS_KEY"] or None,
        config=Config(signature_version="s3v4", s3={"addressing_style": style}),
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
