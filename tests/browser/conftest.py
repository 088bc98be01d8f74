"""Fixtures for the browser tests: a live server and one shared Chromium.

* ``live_server`` (session): the real app, seeded with the demo clinic in a
  ``memory://`` ZODB, served by waitress on 127.0.0.1 and a free port from
  a daemon thread.  The tests share it, so every test writes only data it
  made up itself (e.g. a goal with a unique title).
* ``browser`` (session): Debian's Chromium (``MINORCONSENT_CHROMIUM``
  overrides the path), launched once.  Never downloaded: a missing browser
  FAILS the tests with an explanation, it never skips them.
* ``new_tab(**context_options)``: a page in a fresh browser context (own
  cookies), closed after the test; ``tab`` is one with default options.

The helpers at the bottom (``sign_in``, ``check_page`` ...) are reached
through the ``ui`` fixture; shared constants come from ``tests/support.py``.
"""
import os
import threading
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

import support

TESTS_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = TESTS_DIR.parent
ARTIFACTS = REPO_DIR / 'test-artifacts'

CHROMIUM = os.environ.get('MINORCONSENT_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run',
                 '--disable-quic']

#: axe impacts that fail a page.
BLOCKING_IMPACTS = ('serious', 'critical')


shared = support
MARKER = support.MARKER
DEMO_PASSWORD = support.DEMO_PASSWORD
ROLE_EMAILS = support.ROLE_EMAILS


# --- the live server -------------------------------------------------------

@pytest.fixture(scope='session')
def live_server():
    import waitress
    from minorconsent import main

    # The real sealer thread, as in production.
    app = main({}, **shared.app_settings(**{'minorconsent.audit.background': 'true'}))
    db = app.registry._zodb_databases['']
    demo = shared.seed(db, app.registry)
    server = waitress.create_server(app, host='127.0.0.1', port=0, threads=4)
    thread = threading.Thread(target=server.run, name='waitress-live-server',
                              daemon=True)
    thread.start()
    url = 'http://127.0.0.1:%s' % server.effective_port
    try:
        yield SimpleNamespace(url=url, demo=demo, app=app)
    finally:
        server.close()
        thread.join(timeout=5)
        db.close()


# --- the browser ------------------------------------------------------------

@pytest.fixture(scope='session')
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            'Chromium not found at %s. The browser tests use the system '
            'Chromium (Debian: apt-get install chromium) and never download '
            'one; set MINORCONSENT_CHROMIUM to its path.' % CHROMIUM,
            pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                                  args=CHROMIUM_ARGS)
        except Exception as exc:
            pytest.fail('Chromium at %s did not start: %s' % (CHROMIUM, exc),
                        pytrace=False)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_tab(browser, live_server):
    """``new_tab(viewport=..., ...)``: a page in its own fresh context."""
    contexts = []

    def make(**options):
        options.setdefault('base_url', live_server.url)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        _watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def tab(new_tab):
    return new_tab()


@pytest.fixture
def ui(live_server):
    """The helpers below plus the demo ids, for the test modules."""
    return SimpleNamespace(
        url=live_server.url, demo=live_server.demo, MARKER=MARKER,
        ROLE_EMAILS=ROLE_EMAILS, DEMO_PASSWORD=DEMO_PASSWORD,
        ARTIFACTS=ARTIFACTS, sign_in=sign_in, check_page=check_page,
        assert_axe_clean=assert_axe_clean, path_of=path_of,
        server_errors=server_errors)


# --- helpers -----------------------------------------------------------------

def _watch(page):
    """Record 5xx answers and Content-Security-Policy reports on ``page``."""
    page.server_errors = []
    page.csp_violations = []

    def on_response(response):
        if response.status >= 500:
            page.server_errors.append('%s %s' % (response.status, response.url))

    def on_console(message):
        if 'Content Security Policy' in message.text:
            page.csp_violations.append('%s: %s' % (page.url, message.text))

    page.on('response', on_response)
    page.on('console', on_console)


def server_errors(page):
    return list(page.server_errors)


def path_of(page):
    return urlsplit(page.url).path


def sign_in(page, email, password=DEMO_PASSWORD):
    """Fill and submit the sign-in form at /login like a person would."""
    page.goto('/login')
    form = page.locator('form#form')
    form.locator('input[name="email"]').fill(email)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.get_by_role('button', name='Sign in').click()


def assert_axe_clean(page, label=None):
    """No axe violation of impact serious or critical on the current page.

    axe is injected with ``page.evaluate``.  The app's CSP
    (``script-src 'self'``) forbids inline scripts, but Playwright's
    evaluate runs through the DevTools protocol, which CSP does not
    govern; so no ``bypass_csp`` context is needed (checked: axe runs and
    reports on these pages with the CSP header in force).
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [v for v in results.response['violations']
                if v.get('impact') in BLOCKING_IMPACTS]
    if blocking:
        lines = ['axe found %d serious/critical violation(s) on %s (%s):'
                 % (len(blocking), label or path_of(page), page.url)]
        for violation in blocking:
            lines.append('- %s [%s]: %s  (%s)' % (
                violation['id'], violation['impact'], violation.get('help', ''),
                violation.get('helpUrl', '')))
            for node in violation['nodes']:
                lines.append('    target=%s' % node.get('target'))
                lines.append('    html=%s' % node.get('html'))
                summary = node.get('failureSummary')
                if summary:
                    lines.append('    ' + summary.replace('\n', '\n    '))
        pytest.fail('\n'.join(lines), pytrace=False)


def check_page(page, label=None):
    """Every page a test visits: axe clean, no CSP violation, no 5xx."""
    assert not page.server_errors, 'server errors: %s' % page.server_errors
    assert not page.csp_violations, \
        'Content-Security-Policy violations: %s' % page.csp_violations
    assert_axe_clean(page, label)
