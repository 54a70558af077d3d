"""Generate the Reference pages at build time so that they cannot go stale.

* ``reference/api``: one section per public lrsim module (every ``lrsim.<name>`` whose name
  does not start with an underscore), each rendered by ``automodule``.
* ``reference/verification``: every check the project makes, read with :mod:`ast` from
  ``tests/test_*.py`` (test names, docstrings and assertion expressions), from the pages'
  code cells (their ``assert`` statements) and from lrsim's doctests (examples per object).

The text is appended to the page's source in Sphinx's ``source-read`` event, so it is made
again whenever Sphinx re-reads the page, and only then: both pages depend on lrsim's files
(``env.note_dependency``), verification on the test modules too, and each is re-read when what
it lists from elsewhere changed: the set of modules, of test modules, the pages' assertions
(``env-get-outdated``). An edit of a page's prose re-reads that page alone.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

from lrsim_build import digest

import lrsim

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TESTS = ROOT / "tests"
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
CHECK_WIDTH = 160


def public_modules() -> list[str]:
    """Every importable public module of lrsim, sorted."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(lrsim.__path__, "lrsim.")
        if not info.name.rsplit(".", 1)[1].startswith("_")
    )


def api_sections() -> str:
    # autodoc emits reStructuredText, which MyST reads only inside eval-rst.
    return "".join(
        f"\n## `{name}`\n\n```{{eval-rst}}\n.. automodule:: {name}\n   :members:\n"
        "   :show-inheritance:\n```\n"
        for name in public_modules()
    )


def _code(text: str) -> str:
    """Inline code that survives backticks and long expressions."""
    text = " ".join(text.split())
    if len(text) > CHECK_WIDTH:
        text = text[: CHECK_WIDTH - 1] + "…"
    return f"``{text}``" if "`" not in text else f"``` {text} ```"


def _assertions(node: ast.AST) -> list[str]:
    """The values a test body checks: ``assert`` tests and ``*assert*`` calls.

    ``pytest.raises`` checks are left out (they check an error, not a number), and so is any
    expression holding a regex escape such as a backslash before a bracket: on the page it
    would look like left-over TeX, which the site tests forbid.
    """
    found = []
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            found.append(ast.unparse(child.test))
        elif isinstance(child, ast.Call):
            name = ast.unparse(child.func)
            if "assert" in name.rsplit(".", 1)[-1]:
                found.append(ast.unparse(child))
    return [text for text in found if not re.search(r"\\\\?[(\[]", text)]


def _cell_source(cell: str) -> str:
    """A code cell's Python: without its option block and IPython magics."""
    lines = cell.splitlines()
    if lines and lines[0].strip() == "---":
        lines = lines[lines[1:].index("---") + 2 :] if "---" in lines[1:] else []
    lines = [line for line in lines if not line.startswith((":", "%", "!"))]
    return "\n".join(lines)


def test_sections() -> str:
    parts = ["\n## Tests\n\nRun by `nox -s tests`, grouped by test module.\n"]
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        tests = [
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
        ]
        parts.append(f"\n### `tests/{path.name}`\n\n{_plain(doc)}\n\n")
        for test in tests:
            title = test.name.removeprefix("test_").replace("_", " ")
            docstring = ast.get_docstring(test)
            checks = "; ".join(_code(check) for check in _assertions(test)) or "(see the test)"
            # Docstrings are plain text: a "<title>" in one must not become an HTML element.
            note = f" {_plain(docstring.splitlines()[0])}" if docstring else ""
            parts.append(f"- **{title}**.{note} Checks: {checks}\n")
    return "".join(parts)


TOCTREE = re.compile(r"^```\{toctree\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def pages_in_reading_order() -> list[Path]:
    """The book's pages as its table of contents orders them (index.md's toctrees), then any
    page no toctree lists, by name."""
    listed = ["index"]
    for block in TOCTREE.findall((DOCS / "index.md").read_text(encoding="utf-8")):
        listed += [
            line.strip() for line in block.splitlines() if line.strip() and not line.startswith(":")
        ]
    rank = {name: position for position, name in enumerate(listed)}
    pages = DOCS.rglob("*.md")
    return sorted(
        pages,
        key=lambda path: (
            rank.get(path.relative_to(DOCS).with_suffix("").as_posix(), len(rank)),
            path,
        ),
    )


def _plain(text: str) -> str:
    """``text`` with ``<`` and ``>`` escaped, which Markdown would otherwise pass on as HTML."""
    return text.replace("<", "\\<").replace(">", "\\>")


def page_checks(path: Path) -> tuple[str, list[str]]:
    """A page's title and the ``assert`` statements of its code cells."""
    source = path.read_text(encoding="utf-8")
    checks: list[str] = []
    for cell in CODE_CELL.findall(source):
        try:
            tree = ast.parse(_cell_source(cell))
        except SyntaxError:
            continue
        checks += [
            ast.unparse(node.test) for node in ast.walk(tree) if isinstance(node, ast.Assert)
        ]
    docname = path.relative_to(DOCS).with_suffix("").as_posix()
    title = next(
        (line[2:].strip() for line in source.splitlines() if line.startswith("# ")), docname
    )
    return title, checks


def page_sections() -> str:
    parts = [
        (
            "\n## Build-time assertions in the pages\n\nA failing `assert` fails the build, "
            "so every number these lines check is right on the published page.\n"
        )
    ]
    for path in pages_in_reading_order():
        title, checks = page_checks(path)
        if checks:
            docname = path.relative_to(DOCS).with_suffix("").as_posix()
            parts.append(f"\n### {title}\n\nOn the page {{doc}}`/{docname}`:\n\n")
            parts += [f"- {_code(check)}\n" for check in checks]
    return "".join(parts)


def doctest_sections() -> str:
    parts = [
        (
            "\n## Doctests in lrsim\n\nEvery `>>>` example in lrsim's docstrings runs under "
            "`pytest --doctest-modules`; examples per documented object:\n\n"
            "| module | object | examples |\n|:---|:---|---:|\n"
        )
    ]
    finder = doctest.DocTestFinder(exclude_empty=True)
    for name in public_modules():
        module = importlib.import_module(name)
        for test in sorted(finder.find(module), key=lambda t: t.name):
            short = test.name.removeprefix(f"{name}.") if test.name != name else "(module)"
            parts.append(f"| `{name}` | `{short}` | {len(test.examples)} |\n")
    return "".join(parts)


def test_modules() -> list[Path]:
    return sorted(TESTS.glob("test_*.py"))


GENERATED = ("reference/api", "reference/verification")


def add_generated_sections(app: Any, docname: str, source: list[str]) -> None:
    if docname not in GENERATED:
        return
    package = Path(lrsim.__file__).parent
    files = sorted(path for path in package.rglob("*.py") if "__pycache__" not in path.parts)
    if docname == "reference/api":
        source[0] += api_sections()
    else:
        source[0] += page_sections() + test_sections() + doctest_sections()
        files += test_modules()
    for path in files:
        app.env.note_dependency(path)


def outdated_listings(
    app: Any, env: Any, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """The generated pages whose listing changed since the last build: which modules and test
    modules exist, which pages there are, their titles and assertions. No single file's date
    tells these, so the environment keeps what the last build listed; the main process
    decides, before any page is read, and looks only into the pages Sphinx found changed."""
    checks = getattr(env, "lrsim_page_checks", {})
    for docname in removed:
        checks.pop(docname, None)
    for docname in added | changed if checks else env.found_docs:
        path = Path(env.doc2path(docname))
        if path.suffix == ".md" and path.is_relative_to(DOCS):
            checks[docname] = page_checks(path)
    env.lrsim_page_checks = checks
    modules = public_modules()
    tests = [path.name for path in test_modules()]
    now = {
        "reference/api": digest(*modules),
        "reference/verification": digest(*modules, *tests, repr(sorted(checks.items()))),
    }
    before = getattr(env, "lrsim_reference_listings", {})
    env.lrsim_reference_listings = now
    changes = {name for name in GENERATED if before.get(name) != now[name]}
    return sorted(changes & env.found_docs - added)


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", add_generated_sections)
    app.connect("env-get-outdated", outdated_listings)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
