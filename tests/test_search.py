"""Search: query syntax, visibility, facets, corrections, the index's life, API and CLI."""

from __future__ import annotations

import gc
import json
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import update

from gallery import create_app
from gallery.core import db
from gallery.core.models import Photo
from gallery.search import service as search
from gallery.search.engine import SearchIndex
from gallery.search.highlight import snippet
from gallery.search.query import parse_query
from gallery.search.results import run_search
from gallery.search.schema import build_schema
from tests.helpers.accounts import sign_in
from tests.helpers.cli import invoke
from tests.helpers.search_data import add_album, add_photo
from tests.helpers.servers import gallery as run_gallery

# --- the query language ---------------------------------------------------------------


def test_query_syntax_words_phrases_filters():
    parsed = parse_query(
        'Konference "darba vidē" album:Open-Day year:2019 camera:"Canon EOS" 10:30'
    )
    assert parsed.words == ("Konference", "10:30")
    assert parsed.phrases == ("darba vidē",)
    assert parsed.filters == (("album", "open-day"), ("year", "2019"), ("camera", "Canon EOS"))
    assert parse_query(parsed.text()) == parsed  # written back, read again: the same query


def test_facet_links_add_and_remove_filters():
    parsed = parse_query("viesi", album="konf")
    narrowed = parsed.with_filter("keyword", "Erasmus+")
    assert narrowed.text() == "viesi album:konf keyword:Erasmus+"
    assert narrowed.without_filter("album", "konf").text() == "viesi keyword:Erasmus+"
    assert parse_query('"open quote runs to the end').phrases == ("open quote runs to the end",)
    assert parse_query("   ").is_empty


def test_snippets_escape_the_caption_and_mark_only_matches():
    analyzer = build_schema()["text"].analyzer
    text = 'Konferencē <script>alert("x")</script> & viesi'
    marked = str(snippet([text], {"konferenc", "vies"}, analyzer))
    assert marked == (
        "<mark>Konferencē</mark> &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; "
        "<mark>viesi</mark>"
    )
    long = "vārds " * 100 + "tehnikumā " + "beigas " * 100
    cut = str(snippet(["", long], {"tehnikum"}, analyzer))
    assert cut.startswith("…") and cut.endswith("…") and "<mark>tehnikumā</mark>" in cut


# --- a gallery with photos of every visibility -------------------------------------------


@pytest.fixture
def gallery(app):
    """Photos a visitor may find, and photos only staff may find, all about a konference."""
    with app.app_context():
        session = db.get_session()
        public = add_album(session, "konf", title="Konference", place="Daugavpils")
        shown = add_photo(
            session,
            public,
            "Viesi konferencē <b>tehnikumā</b>",
            keywords=["Erasmus+", "mācības"],
            camera_make="Canon",
            camera_model="Canon EOS 40D",
            taken_at="2019-12-03T10:00:00",
        )
        other = add_photo(session, public, "Konferences dalībnieki", taken_at="2020-01-05T09:00:00")
        no_consent = add_photo(session, public, "Konference bez piekrišanas", consent="no_public")
        trashed = add_photo(session, public, "Konference izmesta", status="trashed")
        hidden = {}
        for visibility in ("draft", "private", "unlisted"):
            album = add_album(session, f"a-{visibility}", visibility=visibility)
            hidden[visibility] = add_photo(session, album, f"Konference slepena {visibility}").id
        session.commit()
        ids = [p.id for p in session.query(Photo)]
        search.index_photos(ids, wait=None)
    return {
        "shown": shown.id,
        "other": other.id,
        "no_consent": no_consent.id,
        "trashed": trashed.id,
        **hidden,
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.json
    return {hit["id"] for hit in response.json["hits"]}


def test_visitors_find_only_public_consented_active_photos(client, gallery):
    assert _ids(client.get("/api/v1/search?q=konference")) == {gallery["shown"], gallery["other"]}
    assert _ids(client.get("/api/v1/search?q=slepena")) == set()
    assert client.get("/api/v1/search?q=album:a-unlisted").json["total"] == 0


def test_staff_find_every_photo_but_the_trash(client, users, gallery):
    sign_in(client, *users["staff"])
    found = _ids(client.get("/api/v1/search?q=konference&per_page=100"))
    assert found == set(gallery.values()) - {gallery["trashed"]}
    hit = client.get("/api/v1/search?q=slepena album:a-draft").json["hits"][0]
    assert hit["status"] == "active" and "gps" in hit  # the staff view of a photo


def test_the_database_has_the_last_word(app, client, gallery):
    with app.app_context():  # a bulk UPDATE bypasses the session events: the index lags
        session = db.get_session()
        session.execute(
            update(Photo).where(Photo.id == gallery["other"]).values(consent="no_public")
        )
        session.commit()
    assert _ids(client.get("/api/v1/search?q=konference")) == {gallery["shown"]}
    with app.app_context():  # and the search queued the lagging photo for indexing
        search.get_index().close()
        assert search.check(db.get_session()).ok


def test_api_shape_snippet_facets_and_paging(client, gallery):
    body = client.get("/api/v1/search?q=tehnikums").json
    assert body["total"] == 1 and body["query"] == "tehnikums"
    hit = body["hits"][0]
    assert hit["snippet"] == "Viesi konferencē &lt;b&gt;<mark>tehnikumā</mark>&lt;/b&gt;"
    assert hit["album"] == "konf" and hit["score"] > 0 and "renditions" in hit
    assert "gps" not in hit
    facets = client.get("/api/v1/search?q=konference").json["facets"]
    assert facets["album"] == [
        {"value": "konf", "label": "Konference", "count": 2, "selected": False}
    ]
    assert [(v["value"], v["count"]) for v in facets["year"]] == [("2020", 1), ("2019", 1)]
    assert [v["value"] for v in facets["keyword"]] == ["Erasmus+", "mācības"]
    assert facets["camera"][0]["value"] == "Canon EOS 40D"
    first = client.get("/api/v1/search?q=konference&per_page=1").json
    second = client.get("/api/v1/search?q=konference&per_page=1&page=2").json
    assert (first["pages"], len(first["hits"]), len(second["hits"])) == (2, 1, 1)
    assert first["hits"][0]["id"] != second["hits"][0]["id"]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("keyword:macibas", {"shown"}),  # typed without diacritics
        ("konference year:2020", {"other"}),
        ("camera:canon", {"shown"}),
        ('camera:"canon eos 40d" konferenci', {"shown"}),
        ("konference taken:2019-12", {"shown"}),
        ("taken:2019", {"shown"}),
        ("taken:2020-1-5", {"other"}),  # a month or day written without its zero
        ("taken:2019-12-04", set()),
        ("taken:2019-02-30", set()),  # no such day
        ("daugavpils", {"shown", "other"}),  # the album's place
        ('"viesi konferencē"', {"shown"}),
        ('"konferencē viesi"', set()),  # a phrase keeps its order
    ],
)
def test_filters_and_phrases(client, gallery, query, expected):
    response = client.get("/api/v1/search", query_string={"q": query})
    assert _ids(response) == {gallery[name] for name in expected}


def test_a_rebuild_on_every_core_finds_what_one_process_does(app, gallery):
    """A large rebuild writes a segment per process (Whoosh's multiprocess writer): the
    same searches find the same photos with the same scores as after a rebuild in one."""
    queries = ["konference", "konference taken:2019-12", "keyword:macibas", "daugavpils"]

    def answers(index: SearchIndex) -> list:
        index.rebuild().result()
        session = db.get_session()
        found = []
        for text in queries:
            results = run_search(index, session, parse_query(text), staff=True)
            found.append(sorted((hit.photo_id, round(hit.score, 5)) for hit in results.hits))
        with index.searcher() as cache:
            return [found, len(cache.leaves)]

    with app.app_context():
        index = search.get_index()
        alone = answers(index)
        index.parallel_from = 1  # every rebuild counts as large
        together = answers(index)
    assert together[0] == alone[0] and alone[0][0]
    cores = min(os.cpu_count() or 1, 4)
    assert (alone[1], together[1]) == (1, cores)


def test_a_large_segments_kept_arrays_answer_as_whoosh_does(app, gallery):
    """A large segment's common lists, lengths and facets are written beside it once
    (heads.py) and read from there: the same hits, scores, totals and facets as read
    through Whoosh; the next rebuild's clean-up takes them away with their segment."""
    queries = ["konference", "konference taken:2019-12", "keyword:macibas", "camera:canon"]

    def answers(index: SearchIndex) -> list:
        session = db.get_session()
        found = []
        for text in queries:
            results = run_search(index, session, parse_query(text), staff=True)
            hits = sorted((hit.photo_id, round(hit.score, 5)) for hit in results.hits)
            facets = {
                name: [(v.value, v.count) for v in values]
                for name, values in results.facets.items()
            }
            found.append((results.total, hits, facets))
        return found

    with app.app_context():
        index = search.get_index()
        index.rebuild().result()  # one segment, as the next rebuild makes
        through_whoosh = answers(index)
        index.heads_from, index.head_terms_from = 1, 1  # every segment, every term
        index.rebuild().result()
        written = {p.name.split(".")[0] for p in index.path.glob("*.heads_index.json")}
        with index.searcher() as cache:
            assert [facts.heads is not None for _s, _o, facts in cache.leaves] == [True]
        from_arrays = answers(index)
        index.rebuild().result()  # a new segment: the old one's arrays go with it
        again = {p.name.split(".")[0] for p in index.path.glob("*.heads_index.json")}
    assert from_arrays == through_whoosh and through_whoosh[0][0] == 6  # staff's
    assert len(written) == len(again) == 1 and written != again
    assert len(list(index.path.glob("*.heads_*"))) == 4 + 2 * 4  # 3 arrays, index, 4 facets


def test_did_you_mean_uses_only_what_visitors_may_see(client, gallery):
    body = client.get("/api/v1/search?q=konferenze").json
    assert (body["total"], body["suggestion"]) == (0, "konference")
    assert client.get("/api/v1/search?q=slepenaa").json["suggestion"] is None


def test_an_empty_index_answers_with_no_hits(app, client):
    with app.app_context():
        search.get_index().ensure()  # made, and nothing in it yet
    assert client.get("/search?q=konference").status_code == 200
    answer = client.get("/api/v1/search?q=konference")
    assert answer.status_code == 200 and answer.json["total"] == 0


def test_api_refuses_bad_requests(client):
    missing = client.get("/api/v1/search")
    assert (missing.status_code, missing.json["error"]["code"]) == (400, "missing_query")
    bad = [{"page": "0"}, {"per_page": "500"}, {"page": "two"}, {"q": "x" * 501}]
    for query in bad:
        refused = client.get("/api/v1/search", query_string={"q": "x", **query})
        assert (refused.status_code, refused.json["error"]["code"]) == (400, "invalid_input"), query


def test_search_page_with_facets_and_suggestion(client, gallery):
    page = client.get("/search?q=tehnikums").get_data(as_text=True)
    assert "&lt;b&gt;<mark>tehnikumā</mark>&lt;/b&gt;" in page
    assert 'href="/search?q=tehnikums+keyword:Erasmus%2B"' in page  # the keyword's facet
    assert 'href="/search?q=konference"' in client.get("/search?q=konferenze").get_data(
        as_text=True
    )
    assert client.get("/search").status_code == 200


# --- keeping the index in step -----------------------------------------------------------


@pytest.fixture
def staff_api(client, users, runner):
    token = invoke(runner, "users", "token", "staff@school.lv").output.strip()

    def call(method, path, **kwargs):
        headers = {"Authorization": f"Bearer {token}"}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


def test_a_caption_edit_is_searchable_at_once(client, staff_api, gallery):
    edit = staff_api("PATCH", f"/photos/{gallery['other']}", json={"caption": "Zvejnieku svētki"})
    assert edit.status_code == 200
    assert _ids(client.get("/api/v1/search?q=zvejnieks")) == {gallery["other"]}
    assert gallery["other"] not in _ids(client.get("/api/v1/search?q=dalibnieki"))
    assert staff_api("DELETE", f"/photos/{gallery['other']}").status_code == 200
    assert _ids(client.get("/api/v1/search?q=zvejnieks")) == set()


def test_emptying_the_trash_takes_photos_out_of_the_index(app, client, runner, users, gallery):
    token = invoke(runner, "users", "token", "admin@school.lv").output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete(f"/api/v1/photos/{gallery['other']}", headers=headers).status_code == 200
    assert client.post("/api/v1/trash/empty", headers=headers).status_code == 200
    with app.app_context():
        drift = search.check(db.get_session())
    assert drift.ok, drift


def test_album_changes_reach_its_photos(client, runner, gallery):
    invoke(runner, "albums", "set", "a-draft", "--visibility", "public", "--title", "Svētki")
    assert _ids(client.get("/api/v1/search?q=svetki")) == {gallery["draft"]}
    invoke(runner, "albums", "set", "konf", "--visibility", "private")
    assert _ids(client.get("/api/v1/search?q=konference")) == {gallery["draft"]}


def test_an_import_is_indexed_in_one_batch(runner, make_jpeg, monkeypatch):
    writes = []
    original = SearchIndex._write
    monkeypatch.setattr(
        SearchIndex, "_write", lambda self, *a: writes.append(a) or original(self, *a)
    )
    comment = {0x9C9C: "Daugavpils tehnikumā\0".encode("utf-16-le")}  # XPComment
    paths = [str(make_jpeg(f"{n}.jpg", seed=n, exif=comment)) for n in range(3)]
    invoke(runner, "import", "--album", "fest", *paths)
    assert len(writes) == 1 and len(writes[0][2]) == 3  # (index, session, photo ids)
    result = invoke(runner, "search", "tehnikums", "--album", "fest", "--json")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["album"] for line in lines] == ["fest"] * 3
    assert set(lines[0]) == {"id", "album", "number", "score", "snippet"}
    assert "<mark>tehnikumā</mark>" in lines[0]["snippet"]


def _index_problems(runner, *options) -> list[tuple[int, str]]:
    """What `gallery check` says about the index (these rows made by hand have no files)."""
    result = runner.invoke(args=["check", "--json", *options])
    report = json.loads(result.output)
    assert result.exit_code == (1 if report["left"] else 0), result.output  # 1 while any is left
    kinds = ("index_missing", "index_stale", "index_orphan")
    return [(p["photo_id"], p["message"]) for p in report["problems"] if p["kind"] in kinds]


def test_check_reports_drift_and_repair_mends_it(app, runner, gallery):
    assert _index_problems(runner) == []
    with app.app_context():
        session = db.get_session()
        session.execute(update(Photo).where(Photo.id == gallery["shown"]).values(caption="Cits"))
        session.commit()
    stale = (gallery["shown"], "is in the search index with old text or visibility")
    assert _index_problems(runner) == [stale]
    assert _index_problems(runner, "--repair") == [stale]  # found, then mended
    assert _index_problems(runner) == []
    assert runner.invoke(args=["reindex"]).exit_code == 0


def _reopen(app):
    """The same data root in a fresh app, as a restarted server would see it."""
    app.extensions["gallery.search"].close()
    return create_app({"DATA_DIR": app.config["DATA_DIR"], "TESTING": True})


def test_a_missing_index_is_rebuilt(app, gallery):
    fresh = _reopen(app)
    index_dir = fresh.config["INDEX_DIR"]
    for path in sorted(Path(index_dir).iterdir()):
        path.unlink()
    with fresh.app_context():
        assert search.search(db.get_session(), "tehnikums").total == 1
    fresh.extensions["gallery.search"].close()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("damage", ["toc", "segment"])
def test_a_damaged_index_is_rebuilt_never_fatal(app, gallery, damage):
    fresh = _reopen(app)
    index_dir = Path(fresh.config["INDEX_DIR"])
    pattern = "*.toc" if damage == "toc" else "*.seg"
    for path in index_dir.glob(pattern):
        path.write_bytes(b"\x00garbage" * 500)
    with fresh.app_context():
        assert search.search(db.get_session(), "tehnikums").total == 1
    fresh.extensions["gallery.search"].close()
    gc.collect()  # Whoosh leaks file handles on damaged files: collect them here


def test_another_process_commit_is_seen(app, gallery):
    """Two indexes on one directory stand for two processes: a write by one is seen by both."""
    with app.app_context():
        session = db.get_session()
        mine = search.get_index()
        theirs = SearchIndex(app.config["INDEX_DIR"], db.session_factory())
        assert run_search(mine, session, parse_query("zvejnieks")).total == 0
        session.execute(
            update(Photo).where(Photo.id == gallery["other"]).values(caption="Zvejnieks")
        )
        session.commit()
        theirs.submit(upsert=[gallery["other"]]).result()
        assert run_search(mine, session, parse_query("zvejnieks")).total == 1
        theirs.close()


def test_writes_and_searches_from_many_threads(app, gallery):
    index, errors = app.extensions["gallery.search"], []

    def work():
        try:
            with app.app_context():
                for _ in range(5):
                    index.submit(upsert=[gallery["shown"], gallery["other"]]).result()
                    results = run_search(index, db.get_session(), parse_query("konference"))
                    assert results.total == 2
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _in_two_segments(captions: list[str], edited: int, caption: str) -> None:
    """Photos of these captions indexed, then one edited: a second segment, and a deletion."""
    session = db.get_session()
    album = add_album(session, "ranked")
    photos = [add_photo(session, album, text) for text in captions]
    session.commit()
    search.index_photos([p.id for p in photos], wait=None)
    photos[edited].caption = caption
    session.commit()
    search.index_photos([photos[edited].id], wait=None)


def test_the_fast_lane_ranks_as_whoosh_does(app):
    """One word is matched and ranked from its posting lists, read in one pass and kept per
    segment; Whoosh's own matchers and collector must agree, edits and all."""
    from whoosh import query as wq

    from gallery.search.postings import deleted, term_postings
    from gallery.search.searching import _page, matching

    captions = [
        "Konference",
        "Konference konferencē un vēl konference",
        "Garš paraksts par konferenci, kurā ir daudz vārdu un vēl vairāk vārdu",
        "Konferences dalībnieki",
        "Bez tā vārda",
    ] * 4
    with app.app_context():
        _in_two_segments(captions, edited=1, caption="Konference konference")
        with search.get_index().searcher() as cache:
            term = [wq.Term("text", "konferenc")]
            for sub, _offset, _facts in cache.leaves:
                ids, weights = term_postings(sub.reader(), "text", "konferenc")
                mine = dict(zip(ids, weights, strict=True))
                for docnum in deleted(sub.reader()):
                    mine.pop(docnum, None)
                # Whoosh's own way: deleted documents filtered out, weights from positions
                assert mine == dict(sub.postings("text", "konferenc").items_as("weight"))
            found = matching(cache, term, staff=True)
            mine = [(h.photo_id, round(h.score, 5)) for h in _page(cache, term, found, 1, 50)]
            theirs = cache.searcher.search(term[0], limit=50, filter=found.docnums())
            expected = [(int(h["id"]), round(h.score, 5)) for h in theirs]
    assert len(cache.leaves) > 1 and len(mine) == 16
    assert mine == expected


def test_several_words_rank_as_whoosh_and_does(app):
    """Words are ranked over arrays (the sum of each word's BM25); Whoosh's own And query
    and collector must agree, over two segments with a deletion."""
    from whoosh import query as wq

    from gallery.search.searching import _page, matching

    captions = [
        "Konferences dalībnieki zālē",
        "Konference, konference un dalībnieki",
        "Dalībnieki, dalībnieki, dalībnieki konferencē ar ļoti garu parakstu par visu",
        "Konference bez tiem",
        "Dalībnieki bez tās",
    ] * 3
    with app.app_context():
        _in_two_segments(captions, edited=0, caption="Konference konference dalībnieki")
        with search.get_index().searcher() as cache:
            terms = [wq.Term("text", "konferenc"), wq.Term("text", "dalibniek")]
            found = matching(cache, terms, staff=True)
            mine = [(h.photo_id, round(h.score, 5)) for h in _page(cache, terms, found, 1, 50)]
            theirs = cache.searcher.search(wq.And(terms), limit=50, filter=found.docnums())
            expected = [(int(h["id"]), round(h.score, 5)) for h in theirs]
    assert len(cache.leaves) > 1 and found.total == 9
    assert mine == expected


def test_a_one_word_search_reads_its_short_posting_list_once(app, monkeypatch):
    """Matching and ranking share the list (a long one is kept per segment anyway)."""
    from gallery.search import searching, segments

    reads: list[tuple[str, str]] = []

    def counted(reader, field, term, read=segments.term_postings):
        reads.append((field, term))
        return read(reader, field, term)

    monkeypatch.setattr(segments, "term_postings", counted)
    with app.app_context():
        session = db.get_session()
        album = add_album(session, "once")
        photos = [add_photo(session, album, f"Konference {n}") for n in range(3)]
        session.commit()
        search.index_photos([p.id for p in photos], wait=None)
        with search.get_index().searcher() as cache:
            results = searching.run(cache, parse_query("konference"), 1, 24, staff=True)
    assert results.total == 3 and len(results.hits) == 3
    assert reads.count(("text", "konferenc")) == len(cache.leaves)


@pytest.mark.slow
def test_init_makes_the_index_so_the_first_import_need_not(tmp_path):
    run_gallery(tmp_path, "init")
    assert list((tmp_path / "index").glob("*.toc"))


def test_a_photos_own_caption_ranks_above_its_albums_title(app):
    """A photo whose caption holds the word comes before one that has it only through the
    title of its album (which every photo of that album shares)."""
    with app.app_context():
        session = db.get_session()
        conference = add_album(session, "konference", title="Konference Daugavpilī")
        other = add_album(session, "pavasaris", title="Pavasara koncerts")
        through_album = add_photo(session, conference, "Viesi pie ieejas tehnikumā")
        own_caption = add_photo(session, other, "Konferences viesi zālē klausās")
        session.commit()
        search.index_photos([through_album.id, own_caption.id], wait=None)
        hits = search.search(session, "konference", staff=True).hits
        assert [hit.photo.id for hit in hits] == [own_caption.id, through_album.id]


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.slow  # rebuilds the index
def test_check_rebuilds_a_damaged_index_before_comparing(app, gallery):
    """check reads the index apart from the searcher: a damaged segment is still found and
    the index rebuilt first, as a search would, not a crash of the check."""
    fresh = _reopen(app)
    for path in Path(fresh.config["INDEX_DIR"]).glob("*.seg"):
        path.write_bytes(b"\x00garbage" * 500)
    assert _index_problems(fresh.test_cli_runner()) == []
    fresh.extensions["gallery.search"].close()
    gc.collect()  # Whoosh leaks file handles on damaged files: collect them here


def test_the_best_of_many_scores_are_found_through_the_best_of_each_run():
    """_top keeps every document that may be among the best, ties included, whether it
    partitions all the scores or only the runs whose best reach the floor."""
    import numpy as np

    from gallery.search.searching import _top

    rng = np.random.default_rng(19)
    for size, limit in ((50, 10), (300_000, 24), (300_000, 1), (410_000, 60)):
        score = np.round(rng.gamma(2.0, 1.0, size), 2)  # rounded: many ties
        docnum = np.arange(size) + 7
        kept_score, kept_docnum = _top(score, docnum, limit)
        order = np.lexsort((kept_docnum, -kept_score))[:limit]
        expected = np.lexsort((docnum, -score))[:limit]
        assert list(kept_docnum[order]) == list(docnum[expected])
        assert len(kept_score) < max(size // 100, limit * 4)  # it did not keep everything
