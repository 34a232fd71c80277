"""gallery/search/ uses Whoosh through its public API only: private names change unannounced.

An AST scan of the package: no `obj._name` on anything but `self` or `cls` (dunders are
public), no `getattr(obj, "_name")` and the like, no private imports from Whoosh, and in a
subclass of a Whoosh class no `self._name` that the subclass does not set itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

SEARCH = Path(__file__).resolve().parent.parent / "gallery" / "search"
OWN = {"self", "cls"}
BY_NAME = {"getattr", "hasattr", "setattr", "delattr"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def whoosh_names(tree: ast.Module) -> set[str]:
    """The names a module binds to Whoosh's modules and classes."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "whoosh":
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.split(".")[0] == "whoosh"
            )
    return names


def root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def inherited_privates(cls: ast.ClassDef, whoosh: set[str]) -> list[ast.Attribute]:
    """`self._name` in a subclass of a Whoosh class that the subclass never sets or defines."""
    if not any(root(base) in whoosh for base in cls.bases):
        return []
    uses = [
        node
        for node in ast.walk(cls)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in OWN
        and is_private(node.attr)
    ]
    own = {n.attr for n in uses if isinstance(n.ctx, ast.Store)}
    own.update(n.name for n in cls.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    return [node for node in uses if node.attr not in own]


def private_uses(source: str) -> list[str]:
    """`line: code` for each private name the source reaches on another's object."""
    tree = ast.parse(source)
    whoosh = whoosh_names(tree)
    found: list[ast.stmt | ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in OWN):
                found.append(node)
        elif isinstance(node, ast.Call) and root(node.func) in BY_NAME and len(node.args) > 1:
            name = node.args[1]
            if isinstance(name, ast.Constant) and is_private(str(name.value)):
                found.append(node)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("whoosh"):
            parts = (node.module or "").split(".") + [alias.name for alias in node.names]
            if any(map(is_private, parts)):
                found.append(node)
        elif isinstance(node, ast.Import):
            if any(
                alias.name.startswith("whoosh") and any(map(is_private, alias.name.split(".")))
                for alias in node.names
            ):
                found.append(node)
        elif isinstance(node, ast.ClassDef):
            found.extend(inherited_privates(node, whoosh))
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    return [f"{node.lineno}: {ast.unparse(node)}" for node in found]


def test_search_reads_no_private_whoosh_attribute():
    files = sorted(SEARCH.glob("*.py"))
    assert len(files) > 5
    uses = {path.name: private_uses(path.read_text()) for path in files}
    assert {name: found for name, found in uses.items() if found} == {}


def test_the_scan_sees_each_way_in():
    source = """
from whoosh.codec.whoosh3 import W3LeafMatcher, _INT_SIZE
from whoosh import scoring
import whoosh._private

def read(leaf, reader):
    leaf._read_ids()
    ids = leaf._ids[leaf._i :]
    flag = hasattr(leaf, "_read_weights")
    reader.searcher()._ix.close()
    return type(leaf).__name__, self_made._cache

class Mine:
    def __init__(self):
        self._mine = 1
        self._other = self._helper()

class Theirs(scoring.BM25F):
    def __init__(self):
        super().__init__()
        self._set_here = 1

    def scorer(self, *args):
        return self._set_here, self._weighting, self._own()

    def _own(self):
        return 0
"""
    lines = [int(use.split(":")[0]) for use in private_uses(source)]
    assert lines == [2, 4, 7, 8, 8, 9, 10, 11, 24]
