"""Both menu buttons work: the contents and "On this page" open and close on a phone, and the
sidebar hides and comes back on a desktop.

The themes render two buttons of each kind and wire only the hidden one;
docs/_static/sidebar-toggles.js passes clicks on the visible one on. Without it, every test
here fails (the contents never become visible, the sidebar never hides).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.site


@pytest.mark.parametrize(
    "drawer",
    [
        ("button.primary-toggle", "#pst-primary-sidebar-modal", "a[href$='02-regimes.html']"),
        ("button.secondary-toggle", "#pst-secondary-sidebar-modal", "a[href='#the-experiment']"),
    ],
    ids=["contents", "on this page"],
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_phone_opens_and_closes_each_drawer(browser, base_url, screenshots, drawer, scheme):
    button, modal, link = drawer
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    page.goto(base_url + "adam/02-case-studies.html", wait_until="networkidle")
    target = page.locator(f"{modal} {link}")
    assert not page.locator(modal).evaluate("dialog => dialog.open")
    page.locator(f"{button}:visible").first.click()
    target.first.wait_for(state="visible", timeout=5_000)
    page.wait_for_timeout(400)  # the drawer's slide-in, for the screenshot
    name = "contents" if "primary" in modal else "on-this-page"
    page.screenshot(path=screenshots / f"menu-{name}-{scheme}-390.png")
    page.keyboard.press("Escape")
    page.wait_for_function(f"!document.querySelector('{modal}').open", timeout=5_000)
    page.close()


def test_a_desktop_hides_and_shows_the_sidebar(browser, base_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "adam/02-case-studies.html", wait_until="networkidle")
    sidebar = page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible()
    toggle = page.locator("button.primary-toggle:visible").first
    toggle.click()
    page.wait_for_function(
        "document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')",
        timeout=5_000,
    )
    toggle.click()
    page.wait_for_function(
        "!document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')",
        timeout=5_000,
    )
    sidebar.wait_for(state="visible", timeout=5_000)  # it slides back in
    page.close()
