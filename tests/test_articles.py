"""The seed article end to end: import a 16-photo album and the seed, lay it out, show it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gallery.config import load_config
from gallery.core import db
from gallery.core.models import Album, Article, Photo
from tests.helpers.accounts import sign_in
from tests.helpers.cli import invoke
from tests.helpers.images import write_images

SEED = Path(load_config()["CORPUS"]).parent / "seed" / "article-lv.txt"
SEED_ROWS = [["1", "2"], ["4", "5", "6"], ["3", "7", "8a"], ["14", "15", "16"]]
SEED_ROWS += [["8b", "9", "10"], ["11", "12", "13"]]
# Mixed aspect ratios: landscape, portrait, square, panorama, 4:3.
SIZES = [(480, 320), (320, 480), (400, 400), (640, 240), (400, 300)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An app with album `erasmus` (photos 1-16) and the seed imported as `erasmus-2019`."""
    from gallery import create_app

    root = tmp_path_factory.mktemp("articles")
    app = create_app(
        {"DATA_DIR": str(root / "data"), "WORKERS": 2, "TESTING": True, "LANGUAGE": "en"}
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    folder = root / "photos"
    write_images(folder, [SIZES[n % len(SIZES)] for n in range(1, 17)])
    result = invoke(runner, "import", "--album", "erasmus", "--json", folder)
    assert len(json.loads(result.output)["imported"]) == 16, result.output
    result = runner.invoke(
        args=["article", "import", str(SEED), "--album", "erasmus", "--slug", "erasmus-2019"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "erasmus-2019"
    yield app
    app.extensions["gallery.engine"].dispose()


def _layout(runner, slug="erasmus-2019", width=800):
    result = runner.invoke(args=["article", "layout", slug, "--width", str(width), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _photo_ids(app) -> dict[int, int]:
    with app.app_context():
        return {p.number: p.id for p in Album.by_slug(db.get_session(), "erasmus").photos}


@pytest.mark.parametrize("width", [800, 1000, 361])
def test_seed_rows_labels_heights_and_widths(site, width):
    layout = _layout(site.test_cli_runner(), width=width)
    ids = _photo_ids(site)
    assert [[box["label"] for box in row] for row in layout["rows"]] == SEED_ROWS
    y = 0
    for row in layout["rows"]:
        assert len({box["height"] for box in row}) == 1
        assert sum(box["width"] for box in row) + layout["gap"] * (len(row) - 1) == width
        assert row[-1]["x"] + row[-1]["width"] == width  # to the pixel
        assert {box["y"] for box in row} == {y}
        y += row[0]["height"] + layout["gap"]
        for box in row:
            # 8a and 8b show photo 8 until the editor crops or reassigns them.
            assert box["photo_id"] == ids[int(box["label"].rstrip("ab"))]
            number = int(box["label"].rstrip("ab"))
            w, h = SIZES[number % len(SIZES)]
            assert abs(box["width"] - box["height"] * w / h) <= 1 + w / h / 2
    assert layout["height"] == y - layout["gap"]


def test_title_and_problems_of_the_seed(site):
    runner = site.test_cli_runner()
    with site.app_context():
        article = Article.by_slug(db.get_session(), "erasmus-2019")
        assert article.title.startswith("Daugavpils tehnikumā pulcējās viesi")
        assert article.status == "draft"
    result = invoke(runner, "article", "problems", "erasmus-2019", "--json")
    codes = [json.loads(line)["code"] for line in result.output.splitlines()]
    # Nothing is unknown; 8a/8b share photo 8; the album is a draft; no alt texts yet.
    assert "unknown_label" not in codes and codes.count("same_photo") == 1
    assert codes.count("missing_alt") == 17 and codes.count("hidden_photo") == 17


def test_title_option_keeps_the_first_line_in_the_body(site, tmp_path):
    runner = site.test_cli_runner()
    text = tmp_path / "a.txt"
    text.write_text("Pirmā rinda\n\n1 2 99\n")
    result = invoke(runner, "article", "import", text, "--album", "erasmus")
    assert result.stdout.strip() == "pirma-rinda"
    assert "99 is not assigned a photo" in result.stderr
    result = invoke(runner, "article", "import", text, "--album", "erasmus", "--title", "Cits")
    assert result.stdout.strip() == "cits"
    result = invoke(runner, "article", "import", text, "--album", "nope", exit_code=1)
    assert "Error: no album with the slug 'nope'" in result.output


def test_a_text_that_is_not_utf8_is_refused_in_words(site, tmp_path):
    text = tmp_path / "windows.txt"
    text.write_bytes("Pavasara skrējiens\n\n1 2\n".encode("cp1257"))
    result = invoke(
        site.test_cli_runner(), "article", "import", text, "--album", "erasmus", exit_code=1
    )
    assert f"Error: {text} is not UTF-8 text (byte 12 is not)" in result.output


def test_reassigning_and_cropping_8b(site):
    from gallery.articles.edit import assign_label
    from gallery.articles.read import layout_for, problems

    ids = _photo_ids(site)
    with site.app_context():
        session = db.get_session()
        article = Article.by_slug(session, "erasmus-2019")
        assign_label(session, article, "8B", ids[8], crop={"aspect": 1.0, "fx": 0.3, "fy": 0.5})
        session.commit()
        assert "same_photo" not in {p.code for p in problems(article, 4)}
        row = layout_for(article, 800, 8)[4]
        assert [b.label for b in row] == ["8b", "9", "10"]
        assert abs(row[0].width - row[0].height) <= 1  # the square crop
        assign_label(session, article, "8b", ids[16], caption="Cits skats")
        session.rollback()


@pytest.fixture(scope="module")
def published(site):
    """The seed published in a public album with texts; photo 3 without consent."""
    runner = site.test_cli_runner()
    assert (
        runner.invoke(args=["article", "set", "erasmus-2019", "--status", "published"]).exit_code
        == 0
    )
    assert runner.invoke(args=["albums", "set", "erasmus", "--visibility", "public"]).exit_code == 0
    with site.app_context():
        session = db.get_session()
        photo = session.get(Photo, _photo_ids(site)[3])
        photo.consent = "no_public"  # photo 3 must vanish for visitors
        for p in Album.by_slug(session, "erasmus").photos:
            p.alt_text, p.caption, p.credit = (
                f"Alt {p.number}",
                f"Paraksts {p.number}",
                "Foto Jānis",
            )
        session.commit()
    return site


def test_drafts_are_hidden_from_visitors(site, tmp_path):
    text = tmp_path / "draft.txt"
    text.write_text("Melnraksts\n\n1 2\n")
    args = ["article", "import", str(text), "--album", "erasmus", "--slug", "draft"]
    assert site.test_cli_runner().invoke(args=args).exit_code == 0
    client = site.test_client()
    assert client.get("/articles/draft").status_code == 404
    assert client.get("/api/v1/articles/draft/layout").status_code == 404
    assert client.get("/api/v1/articles/draft").get_json()["error"]["code"] == "not_found"
    listed = client.get("/articles")
    assert listed.status_code == 200 and "Melnraksts" not in listed.get_data(as_text=True)


def test_visitors_see_published_articles_without_hidden_photos(published):
    site = published
    client = site.test_client()
    page = client.get("/articles/erasmus-2019").get_data(as_text=True)
    assert "Sagatavoja:" in page and page.count('class="photo-row"') == 6
    assert 'data-label="3"' not in page and 'data-label="7"' in page
    assert "<script src=" in page and "onclick" not in page
    layout = client.get("/api/v1/articles/erasmus-2019/layout?width=640").get_json()
    assert [b["label"] for b in layout["rows"][2]] == ["7", "8a"]
    assert all(sum(b["width"] for b in row) + 8 * (len(row) - 1) == 640 for row in layout["rows"])
    bad = client.get("/api/v1/articles/erasmus-2019/layout?width=0")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_input"
    data = client.get("/api/v1/articles/erasmus-2019").get_json()
    assert "problems" not in data and data["blocks"][1] == {"row": ["1", "2"]}
    assert "erasmus-2019" in client.get("/articles").get_data(as_text=True)
    album = client.get("/albums/erasmus").get_data(as_text=True)
    assert album.count('href="/articles/erasmus-2019"') == 1  # "In articles" under the grid
    usage = client.get(f"/api/v1/photos/{_photo_ids(site)[8]}/articles").get_json()
    assert usage["articles"] == [{"slug": "erasmus-2019", "title": data["title"]}]


def test_render_is_clean_self_contained_html(published, tmp_path):
    site = published
    runner = site.test_cli_runner()
    out = tmp_path / "article.html"
    result = invoke(runner, "article", "render", "erasmus-2019", "-o", out, exit_code=1)
    assert "Error: give --base-url https://... or set GALLERY_PUBLIC_URL" in result.output
    assert not out.exists()
    args = ["article", "render", "erasmus-2019", "-o", str(out), "--base-url", "https://dt.lv/"]
    assert runner.invoke(args=args).exit_code == 0
    html = out.read_text()
    assert "<script" not in html.lower() and "onclick" not in html and "<style" not in html
    assert html.count("<img ") == 16  # photo 3 has no consent: left out
    assert 'src="https://dt.lv/media/' in html and "srcset=" in html and " 320w" in html
    assert 'src="/' not in html and 'href="/' not in html
    assert 'alt="Alt 8"' in html and "Paraksts 8" in html and "Foto: Foto Jānis" in html


def test_export_press_kit_and_contact_sheet_are_for_staff(published, runner_users):
    site = published
    client = site.test_client()
    assert client.get("/articles/erasmus-2019/export.html").status_code == 302  # sign in
    email, password = runner_users["editor"]
    sign_in(client, email, password)
    page = client.get("/articles/erasmus-2019").get_data(as_text=True)
    assert "Export HTML" in page and "missing_alt" not in page
    export = client.get("/articles/erasmus-2019/export.html")
    assert export.headers["Content-Disposition"].startswith("attachment")
    assert 'src="http://localhost/media/' in export.get_data(as_text=True)
    kit = client.get("/articles/erasmus-2019/press-kit.zip")
    assert kit.mimetype == "application/zip" and kit.data[:2] == b"PK"
    sheet = client.get("/albums/erasmus/contact-sheet.pdf")
    assert sheet.mimetype == "application/pdf" and sheet.data[:5] == b"%PDF-"


@pytest.fixture(scope="module")
def runner_users(site):
    runner = site.test_cli_runner()
    made = {}
    for role in ("editor",):
        email, password = f"{role}@school.lv", f"{role}-password-123"
        args = ["users", "add", email, "--role", role, "--password-stdin"]
        assert runner.invoke(args=args, input=password).exit_code == 0
        made[role] = (email, password)
    return made


def test_article_language_alt_texts_and_the_bare_article_export(published, runner_users):
    """A Latvian article in the English interface is marked lang="lv"; a photo without alt
    text or caption is named after its label in the article's language; the export comes
    as a document or as its <article> alone."""
    site = published
    with site.app_context():
        session = db.get_session()
        photo = session.get(Photo, _photo_ids(site)[1])
        photo.alt_text, photo.caption = "", ""
        session.commit()
    client = site.test_client()
    page = client.get("/articles/erasmus-2019", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html and '<article class="article" lang="lv"' in html
    article = html.split('<article class="article"')[1]
    assert 'alt="Foto 1"' in article and 'alt=""' not in article
    assert "style=" not in html  # crops are placed by static/article.js, not style attributes
    sign_in(client, *runner_users["editor"])
    whole = client.get("/articles/erasmus-2019/export.html").get_data(as_text=True)
    assert whole.startswith("<!doctype html>") and '<html lang="lv">' in whole
    assert 'alt="Foto 1"' in whole and 'alt=""' not in whole
    fragment = client.get("/articles/erasmus-2019/export.html?fragment=1")
    assert 'filename="erasmus-2019-article.html"' in fragment.headers["Content-Disposition"]
    bare = fragment.get_data(as_text=True).strip()
    assert bare.startswith('<article class="gallery-article" lang="lv">')
    assert bare.endswith("</article>") and "<html" not in bare and "<body" not in bare


def test_a_credit_that_names_itself_is_not_prefixed_again():
    from gallery.articles.presskit import KitPhoto, captions_text
    from gallery.core.credit import credit_line

    assert credit_line("J. Bērziņš", "Foto:") == "Foto: J. Bērziņš"
    assert credit_line("Foto: J. Bērziņš", "Foto:") == "Foto: J. Bērziņš"
    assert credit_line("photo: A. Ozola", "Foto:") == "photo: A. Ozola"
    assert credit_line("© Daugavpils tehnikums", "Photo:") == "© Daugavpils tehnikums"
    kit = [KitPhoto("1", Path("x.jpg"), (0, 0, 1, 1), "Paraksts", "Foto: J. Bērziņš")]
    assert "Foto: J. Bērziņš" in captions_text("T", kit, "Foto:")
    assert "Foto: Foto:" not in captions_text("T", kit, "Foto:")
