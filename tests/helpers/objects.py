"""A real S3 server for the tests (scripts/objects: moto's standalone server on loopback)
and a fresh bucket per test; never an in-process patch."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "objects"
SHARED_SECRET = "tests-of-several-machines-" + "0" * 40
KEYS = {"S3_REGION": "us-east-1", "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing"}


def start() -> tuple[str, bool]:
    """The server's endpoint URL (GALLERY_TEST_S3, else scripts/objects starts one), and
    whether this call started it (then the session stops it at its end)."""
    if url := os.environ.get("GALLERY_TEST_S3"):
        return url, False
    was_running = _running()
    env = {**os.environ, "PYTHON": sys.executable}
    url = subprocess.run([SCRIPT], env=env, check=True, capture_output=True, text=True).stdout
    return url.strip(), not was_running


def stop() -> None:
    subprocess.run([SCRIPT, "stop"], check=True)


def _running() -> bool:
    pid = ROOT / ".tools" / "objects" / "pid"
    try:
        os.kill(int(pid.read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def client(endpoint: str):
    import boto3  # slow to import: only the tests on S3 pay for it

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=KEYS["S3_REGION"],
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
    )


def new_bucket(endpoint: str) -> str:
    name = f"gallery-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def settings(endpoint: str, bucket: str, prefix: str = "media") -> dict[str, str]:
    """The app's settings for the bucket."""
    return {
        "STORAGE_URL": f"s3://{bucket}/{prefix}",
        "S3_ENDPOINT_URL": endpoint,
        "SECRET_KEY": SHARED_SECRET,  # several machines share one (gallery.config)
        **KEYS,
    }


def keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    pages = client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))
