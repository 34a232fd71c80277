"""Culling: measures at ingest, stacks, near-duplicates, marks through the API, filters,
XMP marks read at import, caption shortcuts."""

from __future__ import annotations

import io
import json
import re
import zipfile

import imagehash
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import delete, update

from gallery.articles.exports import album_sheet_photos
from gallery.core import db
from gallery.core.models import Album, NearDuplicate, Photo, Stack
from gallery.culling import alike, filters, hashes
from gallery.ingest.analysis import distance, measure, phash, to_signed
from tests.helpers.accounts import sign_in
from tests.helpers.cli import invoke
from tests.helpers.images import EXIF_IFD, scene, view

DATE = 0x9003  # DateTimeOriginal


def _jpeg(path, picture, taken=None, xmp=None, quality=90):
    options: dict = {"quality": quality}
    if taken:
        exif = Image.Exif()
        exif.get_ifd(EXIF_IFD)[DATE] = taken
        options["exif"] = exif
    if xmp:
        options["xmp"] = xmp
    path.parent.mkdir(parents=True, exist_ok=True)
    picture.save(path, "JPEG", **options)
    return path


def _burst(folder, seed, second, frames=4, first=1):
    """`frames` frames of one scene, the camera drifting a little, a second apart at most."""
    picture = scene(seed, (1100, 740))
    made = []
    for i in range(frames):
        box = (0.04 + 0.006 * i, 0.05, 0.94 + 0.006 * i, 0.95)
        frame = view(picture, box, light=1.0 + 0.05 * (i % 2), blur=0 if i == 1 else 1.5)
        taken = f"2026:05:14 10:00:{second + i // 2:02d}"
        made.append(_jpeg(folder / f"IMG_{first + i:04d}.jpg", frame, taken))
    return made


# --- measures ------------------------------------------------------------------------


def test_phash_is_imagehash_phash():
    for seed in range(5):
        picture = view(scene(seed), size=(320, 213))
        assert phash(picture.convert("L")) == to_signed(int(str(imagehash.phash(picture)), 16))


def test_sharper_and_better_exposed_frames_score_higher():
    picture = view(scene(3), size=(320, 213))
    sharp = measure(picture)
    soft = measure(view(scene(3), size=(320, 213), blur=2))
    dark = measure(view(scene(3), size=(320, 213), light=0.35))
    assert sharp.sharpness > soft.sharpness
    assert sharp.exposure > dark.exposure
    assert sharp.score > max(soft.score, dark.score)
    assert 0 <= soft.score <= 1


def test_a_crop_or_resize_is_the_same_picture_and_a_burst_frame_is_not():
    picture = scene(7, (1100, 740))
    shot = view(picture, size=(320, 213))
    resized = view(picture, size=(200, 133))
    cropped = view(picture, (0.09, 0.05, 0.95, 0.92), size=(320, 200))
    next_frame = view(picture, (0.07, 0.05, 0.97, 0.95), light=1.15, size=(320, 213))
    prepared = [alike.prepare(p) for p in (shot, resized, cropped, next_frame)]
    assert alike.same_picture(prepared[0], prepared[1])
    assert alike.same_picture(prepared[0], prepared[2])
    assert not alike.same_picture(prepared[0], prepared[3])
    assert distance(phash(shot.convert("L")), phash(resized.convert("L"))) <= 4


# --- through an import -----------------------------------------------------------------


@pytest.fixture
def event(runner, tmp_path):
    """An album of two bursts, a single photo and a re-export of a burst frame in another
    album; returns {file name: photo id}."""
    folder = tmp_path / "event"
    files = _burst(folder, seed=1, second=0) + _burst(folder, seed=2, second=30, first=5)
    _jpeg(folder / "IMG_0009.jpg", scene(3), "2026:05:14 10:00:31")
    invoke(runner, "import", "--album", "event", folder)
    press = tmp_path / "press"
    with Image.open(files[1]) as original:
        copy = view(original.convert("RGB"), (0.0, 0.0, 0.96, 0.97), size=(800, 533))
    _jpeg(press / "export.jpg", copy, quality=60)
    invoke(runner, "import", "--album", "press", press)
    ids = {}
    for slug in ("event", "press"):
        for line in invoke(runner, "photos", "--album", slug, "--json").output.splitlines():
            photo = json.loads(line)
            ids[photo["filename"]] = photo["id"]
    return ids


def test_bursts_stack_and_a_reexport_is_a_near_duplicate(runner, event):
    lines = invoke(runner, "stacks", "--album", "event", "--json").output.splitlines()
    found = [json.loads(line) for line in lines]
    first = [event[f"IMG_{n:04d}.jpg"] for n in range(1, 5)]
    second = [event[f"IMG_{n:04d}.jpg"] for n in range(5, 9)]
    assert sorted(sorted(s["photos"]) for s in found) == [first, second]
    assert all(set(s) == {"top", "photos"} and s["top"] in s["photos"] for s in found)
    # the suggestion is the sharp frame (the second of each burst)
    assert {s["top"] for s in found} == {first[1], second[1]}
    lines = invoke(runner, "near-duplicates", "--json").output.splitlines()
    (pair,) = [json.loads(line) for line in lines]
    assert (pair["photo_id"], pair["duplicate_of"]) == (event["export.jpg"], first[1])
    assert 0 <= pair["distance"] <= 16
    album_only = invoke(runner, "near-duplicates", "--album", "event", "--json").output
    assert album_only == "\n".join(lines) + "\n"


# --- the API ---------------------------------------------------------------------------


@pytest.fixture
def api(client, runner, users):
    token = invoke(runner, "users", "token", "staff@school.lv").output.strip()

    headers = {"Authorization": f"Bearer {token}"}

    def call(method, path, **kwargs):
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    call.site = lambda path: client.get(path, headers=headers)  # a page, as the same user
    return call


def test_marks_are_photo_fields_set_by_patch_and_bulk_edit(api, event):
    one, two = event["IMG_0001.jpg"], event["IMG_0009.jpg"]
    answer = api("PATCH", f"/photos/{one}", json={"pick": "pick", "rating": 4, "label": "red"})
    assert answer.status_code == 200, answer.json
    photo = answer.json["photo"]
    assert (photo["pick"], photo["rating"], photo["label"]) == ("pick", 4, "red")
    assert photo["stack"] is not None and isinstance(photo["quality"], float)
    bulk = api(
        "PATCH", "/photos", json={"ids": [one, two], "set": {"pick": "reject", "label": None}}
    )
    assert [(p["pick"], p["rating"], p["label"]) for p in bulk.json["photos"]] == [
        ("reject", 4, None),
        ("reject", 0, None),
    ]
    for wrong in ({"rating": 6}, {"rating": "3"}, {"pick": "maybe"}, {"label": "pink"}):
        refused = api("PATCH", f"/photos/{one}", json=wrong)
        assert refused.status_code == 400, wrong
        assert refused.json["error"]["code"] == "invalid_input"


def test_album_photos_filtered_by_marks_stacks_and_use(api, client, event):
    ids = [event[f"IMG_{n:04d}.jpg"] for n in range(1, 10)]
    api("PATCH", "/photos", json={"ids": ids[:3], "set": {"rating": 3}})
    api("PATCH", "/photos", json={"ids": ids[1:2], "set": {"pick": "pick", "label": "green"}})
    api("PATCH", "/photos", json={"ids": ids[2:3], "set": {"pick": "reject"}})

    def listed(query):
        answer = api("GET", f"/albums/event/photos?{query}")
        assert answer.status_code == 200, answer.json
        return [p["id"] for p in answer.json["photos"]]

    assert listed("rating=3") == ids[:3]
    assert listed("pick=pick") == [ids[1]]
    assert listed("pick=reject&rating=2") == [ids[2]]
    assert listed("label=green") == [ids[1]]
    assert listed("pick=none") == [i for i in ids if i not in ids[1:3]]
    assert listed("tops=1") == [ids[1], ids[5], ids[8]]  # the sharp frames and the single
    assert listed("unused=1") == ids
    assert api("GET", "/albums/event/photos?rating=9").status_code == 400
    assert api("GET", "/albums/event/photos?label=pink").status_code == 400


def test_stacks_split_merge_and_choose_top(api, event):
    first = [event[f"IMG_{n:04d}.jpg"] for n in range(1, 5)]
    single = event["IMG_0009.jpg"]
    stacks = api("GET", "/albums/event/stacks").json["stacks"]
    assert [s["photos"] for s in stacks][0] == first
    assert stacks[0]["top"] == stacks[0]["suggested"] == first[1] and not stacks[0]["chosen"]
    chosen = api("PUT", "/albums/event/stacks/top", json={"photo_id": first[3]}).json["stacks"]
    assert (chosen[0]["top"], chosen[0]["suggested"], chosen[0]["chosen"]) == (
        first[3],
        first[1],
        True,
    )
    split = api("POST", "/albums/event/stacks/split", json={"photos": first[2:]}).json["stacks"]
    assert sorted(s["photos"] for s in split)[:2] == [first[:2], first[2:]]
    merged = api("POST", "/albums/event/stacks/merge", json={"photos": [first[0], single]})
    assert first[:2] + [single] in [s["photos"] for s in merged.json["stacks"]]
    tops = api("GET", "/albums/event/photos?tops=1").json["photos"]
    assert sum(p["id"] in first[:2] + [single] for p in tops) == 1
    assert api("POST", "/albums/event/stacks/merge", json={"photos": [first[0]]}).status_code == 400
    assert api("POST", "/albums/event/stacks/split", json={"photos": [99999]}).status_code == 404


def test_near_duplicates_in_the_api_at_upload_and_dismissed(api, event, tmp_path):
    original = event["IMG_0002.jpg"]
    listed = api("GET", "/near-duplicates").json["near_duplicates"]
    assert listed == [
        {
            "photo_id": event["export.jpg"],
            "duplicate_of": original,
            "distance": listed[0]["distance"],
        }
    ]
    assert api("GET", "/near-duplicates?album=press").json == {"near_duplicates": listed}
    # at upload: the answer names the photo it duplicates
    photo = api("GET", f"/photos/{original}").json["photo"]
    assert photo["duplicate_of"] == []
    picture = Image.open(tmp_path / "event" / "IMG_0002.jpg").resize((700, 471))
    upload = io.BytesIO()
    picture.save(upload, "JPEG", quality=70)
    data = {"file": (io.BytesIO(upload.getvalue()), "small.jpg")}
    sent = api("POST", "/albums/press/photos", data=data, content_type="multipart/form-data")
    assert sent.status_code == 201, sent.json
    # the same picture as the original and as its re-export: both named
    export = event["export.jpg"]
    assert [d["photo_id"] for d in sent.json["photo"]["duplicate_of"]] == [original, export]
    dismissed = api(
        "POST",
        "/near-duplicates/dismiss",
        json={"photo_id": sent.json["photo"]["id"], "duplicate_of": original},
    )
    assert dismissed.status_code == 200
    left = [(p["photo_id"], p["duplicate_of"]) for p in dismissed.json["near_duplicates"]]
    assert left == [(export, original), (sent.json["photo"]["id"], export)]
    again = api("POST", "/near-duplicates/dismiss", json={"photo_id": original, "duplicate_of": 1})
    assert again.status_code == 404


def test_visitors_see_no_marks_and_cannot_filter_by_them(api, client, event):
    api("PATCH", "/albums/event", json={"visibility": "public"})
    photo = client.get(f"/api/v1/photos/{event['IMG_0001.jpg']}").json["photo"]
    assert not {"pick", "rating", "label", "stack", "quality", "duplicate_of"} & set(photo)
    everyone = client.get("/api/v1/albums/event/photos").json["photos"]
    assert client.get("/api/v1/albums/event/photos?pick=reject").json["photos"] == everyone
    assert client.get("/api/v1/albums/event/stacks").status_code == 401
    assert client.get("/api/v1/near-duplicates").status_code == 401


def test_xmp_rating_and_label_are_read_at_import(runner, tmp_path, api):
    def xmp(rating, label):
        return (
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:Rating="{rating}">'
            f"<xmp:Label>{label}</xmp:Label></rdf:Description></rdf:RDF></x:xmpmeta>"
        ).encode()

    folder = tmp_path / "rated"
    _jpeg(folder / "a.jpg", scene(11), xmp=xmp(4, "Red"))
    _jpeg(folder / "b.jpg", scene(12), xmp=xmp(-1, "Zaļš"))
    _jpeg(folder / "c.jpg", scene(13), xmp=xmp(9, "Chartreuse"))
    invoke(runner, "import", "--album", "rated", folder)
    photos = api("GET", "/albums/rated/photos").json["photos"]
    marks = {p["filename"]: (p["pick"], p["rating"], p["label"]) for p in photos}
    assert marks == {
        "a.jpg": (None, 4, "red"),
        "b.jpg": ("reject", 0, "green"),
        "c.jpg": (None, 0, None),
    }


def test_caption_shortcuts_through_the_api(api):
    saved = api("POST", "/shortcuts", json={"code": "=dt=", "text": "Daugavpils tehnikums"})
    assert saved.status_code == 200, saved.json
    assert [(s["code"], s["text"]) for s in saved.json["shortcuts"]] == [
        ("=dt=", "Daugavpils tehnikums")
    ]
    changed = api("POST", "/shortcuts", json={"code": "=dt=", "text": "Daugavpils  tehnikumā "})
    (shortcut,) = changed.json["shortcuts"]
    assert shortcut["text"] == "Daugavpils tehnikumā"
    assert api("POST", "/shortcuts", json={"code": "dt x", "text": "a"}).status_code == 400
    assert api("DELETE", f"/shortcuts/{shortcut['id']}").json == {"shortcuts": []}
    assert api("DELETE", f"/shortcuts/{shortcut['id']}").status_code == 404


def test_check_reports_photos_culling_missed_and_repair_measures_stacks_and_compares(
    app, runner, event
):
    before = invoke(runner, "stacks", "--album", "event", "--json").output

    def pairs():  # the hash measured again from the rendition file may move a bit or two
        lines = invoke(runner, "near-duplicates", "--json").output.splitlines()
        return [(p["photo_id"], p["duplicate_of"]) for p in map(json.loads, lines)]

    paired = pairs()
    with app.app_context():
        session = db.get_session()
        session.execute(update(Photo).values(phash=None, sharpness=None, exposure=None))
        session.execute(update(Photo).values(stack_id=None, stack_top=False))
        session.execute(delete(Stack))
        session.execute(delete(NearDuplicate))
        session.commit()
    hashes.forget()
    assert invoke(runner, "stacks", "--album", "event", "--json").output == ""
    found = invoke(runner, "check", "--json", exit_code=1).output
    kinds = [p["kind"] for p in json.loads(found)["problems"]]
    assert kinds == ["culling_missing"] * len(event)
    invoke(runner, "check", "--repair")
    invoke(runner, "check")
    assert invoke(runner, "stacks", "--album", "event", "--json").output == before
    assert pairs() == paired != []


# --- marks travel, filters everywhere -----------------------------------------------------


def _xmp_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        packet = image.info.get("xmp")
    rating = re.search(rb'xmp:Rating(?:="|>)(-?\d)', packet or b"")
    label = re.search(rb'xmp:Label(?:="|>)(\w+)', packet or b"")
    return {
        "rating": int(rating.group(1)) if rating else None,
        "label": label.group(1).decode() if label else None,
    }


def test_marks_go_into_staff_originals_and_the_press_kit(api, client, runner, event, tmp_path):
    one, two = event["IMG_0001.jpg"], event["IMG_0009.jpg"]
    api("PATCH", f"/photos/{one}", json={"rating": 3, "label": "yellow"})
    api("PATCH", f"/photos/{two}", json={"pick": "reject", "rating": 2})
    marked = ((one, {"rating": 3, "label": "Yellow"}), (two, {"rating": -1, "label": None}))
    for photo_id, want in marked:
        download = api.site(f"/albums/event/photos/{photo_id}/original")
        assert download.status_code == 200
        assert _xmp_of(download.data) == want
        with Image.open(io.BytesIO(download.data)) as image:
            image.load()  # the pixels as they were, the file whole
        download.close()
    plain = api.site(f"/albums/event/photos/{event['IMG_0002.jpg']}/original")
    assert plain.data == (tmp_path / "event" / "IMG_0002.jpg").read_bytes()  # no marks: as stored
    plain.close()
    api("PATCH", "/albums/event", json={"visibility": "public"})
    article = tmp_path / "article.txt"
    number = api("GET", f"/photos/{one}").json["photo"]["number"]
    article.write_text(f"Diena\n\nTeksts.\n\n{number}\n", encoding="utf-8")
    invoke(runner, "article", "import", article, "--album", "event", "--slug", "diena")
    kit = tmp_path / "kit.zip"
    invoke(runner, "article", "press-kit", "diena", "-o", kit)
    with zipfile.ZipFile(kit) as archive:
        assert _xmp_of(archive.read(f"{number}.jpg")) == {"rating": 3, "label": "Yellow"}


def test_contact_sheet_picker_and_search_take_the_filters(
    app, api, client, runner, event, tmp_path, users
):
    picks = [event["IMG_0002.jpg"], event["IMG_0009.jpg"]]
    api("PATCH", "/photos", json={"ids": picks, "set": {"pick": "pick"}})
    api("PATCH", "/photos", json={"ids": picks[:1], "set": {"caption": "Zirgi pļavā"}})
    api("PATCH", "/photos", json={"ids": [event["IMG_0003.jpg"]], "set": {"caption": "Zirgi"}})
    with app.app_context():  # the sheet is drawn as pictures: what goes on it is checked here
        album = Album.by_slug(db.get_session(), "event")
        storage = app.extensions["gallery.storage"]
        chosen = album_sheet_photos(album, storage, filters.parse({"pick": "pick"}))
        assert [p.filename for p in chosen] == ["IMG_0002.jpg", "IMG_0009.jpg"]
    sheets = {}
    for name, extra in (("all", []), ("picks", ["--picks"])):
        sheets[name] = tmp_path / f"{name}.pdf"
        invoke(runner, "contact-sheet", "--album", "event", "-o", sheets[name], *extra)
        assert len(PdfReader(sheets[name]).pages) == 1
    assert sheets["all"].read_bytes() != sheets["picks"].read_bytes()
    sign_in(client, *users["editor"])
    pdf = client.get("/albums/event/contact-sheet.pdf?pick=pick")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/albums/event/contact-sheet.pdf?rating=8").status_code == 400
    invoke(runner, "article", "import", _article(tmp_path), "--album", "event", "--slug", "a")
    picker = client.get("/staff/articles/a/picker?album=event&pick=pick").get_data(as_text=True)
    assert picker.count('data-photo-id="') == 2, picker
    hits = api("GET", "/search?q=zirgi&pick=pick").json
    assert [h["id"] for h in hits["hits"]] == picks[:1] and hits["total"] == 1
    assert api("GET", "/search?q=zirgi").json["total"] == 2
    lines = invoke(runner, "search", "zirgi", "--pick", "pick", "--json").output.splitlines()
    assert [json.loads(line)["id"] for line in lines] == picks[:1]


def _article(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("A\n\nTeksts.\n", encoding="utf-8")
    return path
