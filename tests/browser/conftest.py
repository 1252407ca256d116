"""Playwright (Python) driving Debian's Chromium, headless, against the live test server.

Where Chromium is absent the browser tests skip with a message; with
SAFEPACT_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser fails the run instead.
"""

import os
import shutil

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    required = os.environ.get("SAFEPACT_REQUIRE_BROWSER") == "1"
    if path is None:
        message = "Chromium not found (apt-get install -y chromium); browser tests need it"
        if required:
            pytest.fail(message + " and SAFEPACT_REQUIRE_BROWSER=1 makes them required")
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM is used from the
    # same thread by fixtures only, never concurrently.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (shipped inside axe-playwright-python) on the current page."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error

    for attempt in range(5):
        try:
            results = Axe().run(page)
            break
        except Error as error:
            # The page moved on to the next document while axe ran (a click that
            # navigates returns before the next document exists): wait and run again.
            if attempt == 4 or ("documentElement" not in str(error) and "destroyed" not in str(error)):
                raise
            page.wait_for_timeout(200)
            page.wait_for_load_state("load")
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def assert_accessible(page):
    # A click that navigates returns before the next document exists; axe run on a page
    # between documents fails with "Cannot read properties of null (documentElement)".
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    summary = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )
    assert not violations, f"axe found serious accessibility problems on {page.url}:\n{summary}"
