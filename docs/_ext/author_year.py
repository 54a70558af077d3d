"""An author–year reference list to match the author–year citations.

sphinxcontrib-bibtex cites "(Kingma and Ba, 2015)" in the text (``bibtex_reference_style``),
but pybtex's styles label the list itself [1], [2], ..., so a reader looking up a citation
has to search the list by name. This pybtex formatting style, ``authoryear``, is pybtex's
``plain`` with labels built like the citations, "Kingma and Ba, 2015", and the list sorted by
first author, year and title; sphinxcontrib-bibtex finds it through pybtex's plugin registry
(its documented way to customise the list).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.database import Entry, Person
from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting import BaseSortingStyle

NO_DATE = "n.d."


def surname(person: Person) -> str:
    """A last name as readers see it: {Medium} → Medium, Doll{\\'a}r → Dollár."""
    return " ".join(str(Text.from_latex(part)) for part in person.prelast_names + person.last_names)


def surnames(entry: Entry) -> list[str]:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    return [surname(person) for person in people]


def author_year(entry: Entry) -> str:
    names = surnames(entry)
    if len(names) > 2:
        who = f"{names[0]} et al."
    else:
        who = " and ".join(names) or entry.fields.get("organization", "Anonymous")
    return f"{who}, {entry.fields.get('year', NO_DATE)}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels as the text cites: "Smith, 2017"; two alike become "…, 2017a", "…, 2017b"."""

    def format_labels(self, sorted_entries: Iterable[Entry]) -> Iterator[str]:
        labels = [author_year(entry) for entry in sorted_entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter[str] = Counter()
        for label in labels:
            seen[label] += 1
            yield (
                label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
                if label in repeated
                else label
            )


class AuthorYearSortingStyle(BaseSortingStyle):
    """First author, then year, then title, as a reader looks a citation up; pybtex's own
    author_year_title sorts "{Anonymous}" after Z and the whole author list before the year."""

    def sorting_key(self, entry: Entry) -> tuple[str, str, str]:
        first = (surnames(entry) or [entry.fields.get("organization", "Anonymous")])[0]
        return (
            first.lower(),
            entry.fields.get("year", NO_DATE),
            entry.fields.get("title", "").lower(),
        )


class AuthorYearStyle(PlainStyle):
    default_label_style = "authoryear"
    default_sorting_style = "authoryear"


def setup(app: Any) -> dict[str, Any]:
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
    register_plugin("pybtex.style.sorting", "authoryear", AuthorYearSortingStyle)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
