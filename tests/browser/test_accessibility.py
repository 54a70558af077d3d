"""axe-core (bundled by axe-playwright-python, no CDN) over every page, in both themes."""

from __future__ import annotations

import logging

import pytest

pytestmark = pytest.mark.site

log = logging.getLogger(__name__)


def test_no_page_has_serious_or_critical_accessibility_violations(visits):
    serious = {}
    for path, visit in visits.items():
        for theme, violations in visit.accessibility.items():
            for violation in violations:
                log.info("axe on %s (%s theme): %s", path, theme, violation)
            found = [v for v in violations if v.startswith(("serious", "critical"))]
            if found:
                serious[f"{path} ({theme})"] = found
    assert not serious
    assert all(set(visit.accessibility) == {"light", "dark"} for visit in visits.values())
