"""Search can't be used to stall the site: bounded queries, a time budget, a rate per client.

What a query costs is counted here in work that reaches the index (search words, edits
looked up for "did you mean"), never in wall time; bench/hostile_search.py has the timings.
"""

from __future__ import annotations

import pytest
from whoosh.reading import SegmentReader

from gallery.core import db
from gallery.core.models import Photo
from gallery.search import limits, searching
from gallery.search import service as search
from gallery.search.limits import Budget, ClientRates, TooManySearches
from gallery.search.query import parse_query
from gallery.search.results import run_search
from tests.helpers.search_data import add_album, add_photo

CAPTIONS = [
    "Viesi konferencē tehnikumā",
    "Konferences dalībnieki pie tehnikuma",
    "Skolotāji un audzēkņi darba vidē",
    "Erasmus+ projekta x viesi no Slovākijas",
]


@pytest.fixture
def photos(app):
    with app.app_context():
        session = db.get_session()
        album = add_album(session, "konf", title="Konference")
        for caption in CAPTIONS:
            add_photo(session, album, caption, taken_at="2019-12-03T10:00:00")
        session.commit()
        search.index_photos([p.id for p in session.query(Photo)], wait=None)
    return app


@pytest.fixture
def reaching(monkeypatch):
    """What reaches the index: the parts each matching gets, the words looked up for edits."""
    seen: dict[str, list] = {"parts": [], "edits": []}
    matching, terms_within = searching.matching, SegmentReader.terms_within

    def counted_matching(cache, parts, staff, *args, **kwargs):
        seen["parts"].append(len(parts))
        return matching(cache, parts, staff, *args, **kwargs)

    def counted_terms_within(self, fieldname, text, maxdist, prefix=0):
        seen["edits"].append(text)
        return terms_within(self, fieldname, text, maxdist, prefix)

    monkeypatch.setattr(searching, "matching", counted_matching)
    monkeypatch.setattr(SegmentReader, "terms_within", counted_terms_within)
    return seen


def test_a_word_said_250_times_reaches_the_index_once(photos, reaching):
    client = photos.test_client()
    answer = client.get("/api/v1/search", query_string={"q": "x " * 250})
    assert answer.status_code == 200 and answer.json["query"] == "x"
    assert answer.json["total"] == 1  # the photo with an x in its caption
    assert max(reaching["parts"]) == 1
    assert reaching["edits"] == []  # found: nothing to correct


def test_forms_of_one_word_collapse_to_one_search_word(photos, reaching):
    with photos.app_context():
        index, session = search.get_index(), db.get_session()
        parsed = parse_query("konference Konferences konferencē konferenci tehnikums")
        results = run_search(index, session, parsed)
    assert results.query.words == ("konference", "tehnikums")
    assert results.total == 2 and max(reaching["parts"]) == 2


def test_did_you_mean_looks_up_edits_of_a_few_unknown_words(photos, reaching):
    unknown = " ".join(f"zvejniek{n}" for n in range(12))  # twelve words nothing holds
    client = photos.test_client()
    answer = client.get("/api/v1/search", query_string={"q": unknown})
    assert answer.status_code == 200 and answer.json["total"] == 0
    assert len(set(reaching["edits"])) <= limits.MAX_CORRECTED
    long_word = "konferenceeeeeeeeeeeeeeeeeeeeeeeeeeeee"  # no word is two edits from it
    reaching["edits"].clear()
    client.get("/api/v1/search", query_string={"q": long_word})
    assert reaching["edits"] == []


def test_did_you_mean_still_corrects_a_typo(photos):
    answer = photos.test_client().get("/api/v1/search?q=konferenze tehnikuma")
    assert answer.json["suggestion"] == "konference tehnikuma"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (" ".join(f"vards{n}" for n in range(limits.MAX_TERMS + 1)), "16 different words"),
        (" ".join(f'"a{n} b{n}"' for n in range(limits.MAX_PHRASES + 1)), "4 phrases"),
        (" ".join(f"year:{2000 + n}" for n in range(limits.MAX_FILTERS + 1)), "8 filters"),
        ("-".join(f"v{n}" for n in range(40)), "16 different words"),  # one word, 40 search words
    ],
)
def test_a_query_asking_too_much_is_a_400_that_says_why(photos, query, says):
    client = photos.test_client()
    answer = client.get("/api/v1/search", query_string={"q": query})
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "query_too_long"
    assert says in answer.json["error"]["message"]
    page = client.get("/search", query_string={"q": query}, headers={"Accept-Language": "lv"})
    assert page.status_code == 400 and 'lang="lv"' in page.get_data(as_text=True)
    assert "ne vairāk kā" in page.get_data(as_text=True)


def test_a_search_out_of_time_answers_503(photos):
    photos.config["SEARCH_BUDGET_MS"] = 0  # any work at all is too much
    client = photos.test_client()
    answer = client.get("/api/v1/search?q=konference tehnikums")
    assert answer.status_code == 503 and answer.json["error"]["code"] == "search_timeout"
    page = client.get("/search?q=konference tehnikums", headers={"Accept-Language": "lv"})
    assert page.status_code == 503 and "pārāk ilgu laiku" in page.get_data(as_text=True)


class _SpentBeforeCorrecting(Budget):
    """Time enough to match and rank, none left for "did you mean"."""

    def check(self) -> None:
        pass

    @property
    def exhausted(self) -> bool:
        return True


def test_out_of_time_before_did_you_mean_answers_without_one(photos):
    with photos.app_context():
        index, session = search.get_index(), db.get_session()
        typo = parse_query("konferenze")
        assert run_search(index, session, typo).suggestion is not None
        spent = run_search(index, session, typo, budget=_SpentBeforeCorrecting(0))
    assert (spent.total, spent.suggestion) == (0, None)


def test_taken_with_a_year_past_any_calendar_finds_nothing(photos):
    client = photos.test_client()
    for value in ("99999999999", "2019-99999999999", "2019-12-99999999999999999999"):
        answer = client.get("/api/v1/search", query_string={"q": f"taken:{value}"})
        assert (answer.status_code, answer.json["total"]) == (200, 0), value
    assert client.get("/search?q=taken:99999999999").status_code == 200


# --- the rate per client ------------------------------------------------------------------


def test_a_client_that_searches_too_much_waits_others_do_not(photos):
    photos.config.update(SEARCH_CLIENT_MS=50, SEARCH_CLIENT_SHARE=1)
    client = photos.test_client()
    statuses = []
    for n in range(8):  # each search takes at least 10 ms of the 50 ms
        answer = client.get(f"/api/v1/search?q=konference{n}")
        statuses.append(answer.status_code)
    assert statuses[0] == 200 and 429 in statuses
    refused = client.get("/api/v1/search?q=tehnikums")
    assert refused.status_code == 429 and refused.json["error"]["code"] == "too_many_searches"
    assert int(refused.headers["Retry-After"]) >= 1
    page = client.get("/search?q=viesi", headers={"Accept-Language": "lv"})
    assert page.status_code == 429 and "pārāk daudz meklējumu" in page.get_data(as_text=True)
    other = client.get("/api/v1/search?q=tehnikums", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_the_bucket_refills_and_takes_at_least_the_least_charge():
    now = [0.0]
    rates = ClientRates(burst=1.0, share=0.5, clock=lambda: now[0])
    rates.admit("a")
    rates.charge("a", 1.5)  # a costly search may overdraw: the next ones wait for it
    with pytest.raises(TooManySearches) as refused:
        rates.admit("a")
    assert refused.value.retry_after == 1  # 0.5 s owed at half a second a second
    rates.admit("b")
    now[0] = 1.01
    rates.admit("a")
    for _ in range(200):
        rates.charge("b", 0.0)  # free searches still cost MIN_CHARGE each
    with pytest.raises(TooManySearches):
        rates.admit("b")


def test_the_buckets_forget_the_idlest_addresses(monkeypatch):
    monkeypatch.setattr(limits, "CLIENTS", 3)
    rates = ClientRates(burst=0.01, share=0.0)
    for address in ("a", "b", "c", "d"):
        rates.charge(address, 1.0)
    rates.admit("a")  # forgotten, so full again; the newest three are still empty
    for address in ("b", "c", "d"):
        with pytest.raises(TooManySearches):
            rates.admit(address)
