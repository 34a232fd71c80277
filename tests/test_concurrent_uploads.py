"""Uploads at the same time through the production server: none lost, none doubled."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.helpers.servers import gallery, serving
from tests.helpers.upload_client import token_upload

pytestmark = pytest.mark.slow  # `gallery serve`


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("concurrent")
    gallery(data, "init")
    add = ("users", "add", "s@school.lv", "--role", "staff", "--password-stdin")
    gallery(data, *add, stdin="staff-password-1\n")
    token = gallery(data, "users", "token", "s@school.lv").strip()
    gallery(data, "albums", "create", "day")
    with serving(data, env={"GALLERY_WORKERS": "2"}) as url:
        yield url, token, data


def _upload(url: str, token: str, payload: bytes, name: str) -> tuple[int, dict]:
    answer = token_upload(url, token, payload, name, album="day")
    return answer.status, answer.json()


def test_many_at_once_and_the_same_file_at_once(server, make_jpeg):
    url, token, data = server
    files = [make_jpeg(f"p{n}.jpg", size=(600, 400), seed=n) for n in range(24)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda p: _upload(url, token, p.read_bytes(), p.name), files))
    assert [status for status, _ in answers] == [201] * 24, answers
    same = make_jpeg("same.jpg", seed=100).read_bytes()
    with ThreadPoolExecutor(6) as pool:
        racing = list(pool.map(lambda n: _upload(url, token, same, f"same{n}.jpg"), range(6)))
    statuses = sorted(status for status, _ in racing)
    assert statuses == [201] + [409] * 5, racing
    lines = gallery(data, "photos", "--album", "day", "--json").splitlines()
    listed = [json.loads(line) for line in lines]
    assert sorted(p["number"] for p in listed) == list(range(1, 26))
    assert len({p["sha256"] for p in listed}) == 25


def test_two_servers_number_one_album_without_clashes(server, make_jpeg):
    """Two servers of one data directory upload into one album at once. On PostgreSQL they
    answered 500 (uq_photo_album_number), until its writers too took turns (core/db.py)."""
    url, token, data = server
    gallery(data, "albums", "create", "pair")
    files = [make_jpeg(f"t{n}.jpg", size=(600, 400), seed=200 + n) for n in range(24)]
    with serving(data, env={"GALLERY_WORKERS": "2"}) as second:

        def upload(n: int) -> int:
            payload = files[n].read_bytes()
            return token_upload((url, second)[n % 2], token, payload, files[n].name, "pair").status

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(upload, range(24)))
    assert statuses == [201] * 24, statuses
    lines = gallery(data, "photos", "--album", "pair", "--json").splitlines()
    assert sorted(json.loads(line)["number"] for line in lines) == list(range(1, 25))
