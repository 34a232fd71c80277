"""News articles: text with numbered rows of photos between paragraphs, laid out, rendered,
exported and printed.

`body` parses the text (pure), `read` says what each label shows and who may see it,
`edit` changes articles, `editor` is the editor's answer, `html`, `presskit`,
`contactsheet` and `exports` make the files; `views`, `api`, `editor_views` and `cli` are
the ways in. Row layout itself (one common height per row) is gallery.core.layout.
"""

from __future__ import annotations

from flask import Flask

from gallery.articles import api, cli, editor_views, views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(api.api)
    app.register_blueprint(editor_views.bp)
    app.cli.add_command(cli.article)
    app.cli.add_command(cli.contact_sheet)
