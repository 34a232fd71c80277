"""No 500 from anything a visitor can type: Hypothesis sends random strings and integers as
every path variable and query parameter of every GET route (the visitor pages, the media,
the API, and the staff pages a visitor is turned away from) over a small real gallery."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from gallery.core import db
from gallery.core.storage import LocalStorage
from gallery.search import service as search
from tests.helpers.apps import migrated_app
from tests.helpers.site_data import add_album, add_photo

# The parameters the routes read (request.args and the API's query models), and some
# nobody reads: each given random text, a random integer, or a value they expect.
PARAMETERS = [
    *("q", "page", "per_page", "album", "year", "after", "before", "key", "lang", "since"),
    *("until", "pick", "rating", "label", "tops", "unused", "dismissed", "width", "gap"),
    *("next", "v", "code", "state", "error", "iss", "who", "action", "fragment", "zzz"),
]
SLUGS = ["fest", "hidden", "fest-article"]

words = st.text(max_size=40) | st.sampled_from(["", " ", "x " * 250, "%", "\x00", "ā" * 500])
integers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
values = words | integers | st.sampled_from(["1", "0", "-1", "2019", "true", "pick"])
query = st.dictionaries(st.sampled_from(PARAMETERS), values, max_size=4)


@pytest.fixture(scope="module")
def gallery_app(tmp_path_factory):
    """A public album with photos (their files too), an unlisted one, an indexed search."""
    data = tmp_path_factory.mktemp("fuzz")
    with migrated_app(data, SEARCH_CLIENT_MS=10**9) as app:
        with app.app_context():
            session = db.get_session()
            storage = LocalStorage(app.config["DATA_DIR"])
            fest = add_album(session, "fest", title="Konference")
            hidden = add_album(session, "hidden", visibility="unlisted", secret="k" * 32)
            photos = [
                add_photo(session, album, n, storage=storage, caption=f"Viesi konferencē {n}")
                for album in (fest, hidden)
                for n in (1, 2)
            ]
            session.commit()
            search.index_photos([photo.id for photo in photos], wait=None)
        yield app


def _routes(app):
    """Every GET route but the static files."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint != "static"
    ]


def _path_value(converter) -> st.SearchStrategy[str]:
    if isinstance(converter, IntegerConverter):
        return st.integers(min_value=0, max_value=2**70).map(str) | st.sampled_from(["1", "3"])
    return st.text(min_size=1, max_size=60) | st.sampled_from(SLUGS)


def requests(rule) -> st.SearchStrategy[tuple[str, dict]]:
    """A path of `rule` with random values for its variables, and a random query."""
    parts = {name: _path_value(converter) for name, converter in rule._converters.items()}

    def path(values: dict[str, str]) -> str:
        built = rule.build(values, append_unknown=False)  # the converters quote the values
        assert built is not None
        return built[1]

    return st.tuples(st.fixed_dictionaries(parts).map(path), query)


@pytest.mark.slow  # 50 requests a route, about 2,400 in all (7 s)
def test_no_route_answers_500_to_random_input(gallery_app):
    client = gallery_app.test_client()
    for rule in _routes(gallery_app):

        @settings(max_examples=50, deadline=None, derandomize=True, database=None)
        @given(requests(rule))
        def no_500(request):
            path, arguments = request
            answer = client.get(path, query_string=arguments)
            assert answer.status_code < 500, (path, arguments, answer.status_code)

        no_500()
