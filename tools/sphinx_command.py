"""The project's one Sphinx command line: ``nox -s docs``, the tests and the build benchmark
build the book with it, so that what the tests check is what the docs session builds.

Examples
--------
>>> from pathlib import Path
>>> sphinx_arguments(build=Path("build"), docs=Path("docs"))  # doctest: +NORMALIZE_WHITESPACE
['-j', 'auto', '-b', 'html', '-W', '--keep-going', '-d', 'build/doctrees', 'docs',
 'build/html']
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sphinx_arguments(
    builder: str = "html",
    *,
    build: Path = ROOT / "build",
    docs: Path = ROOT / "docs",
    strict: bool = True,
    quiet: bool = False,
    settings: dict[str, str] | None = None,
) -> list[str]:
    """Return the arguments of ``python -m sphinx`` that build ``docs`` into ``build/<builder>``.

    ``-j auto``: pages execute in parallel, one reading process per core; the output is
    byte-identical to a serial build (``nox -s reproducible`` checks it). ``strict`` makes
    every warning an error (``-W --keep-going``: all of them are reported); ``settings`` are
    ``-D name=value`` overrides of ``conf.py``.
    """
    arguments = ["-j", "auto", "-b", builder]
    arguments += ["-W", "--keep-going"] if strict else []
    arguments += ["-q"] if quiet else []
    for name, value in (settings or {}).items():
        arguments += ["-D", f"{name}={value}"]
    return [*arguments, "-d", str(build / "doctrees"), str(docs), str(build / builder)]
