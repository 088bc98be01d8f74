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

axe-core runs by itself on every page a tab loads (``_watch``): when the
page fires ``load``, and, for a document left before that, just before the
browser may leave it (its next navigation request is held until the check
is done); the page a test ends on is checked at teardown.  Every violation
fails the test, whatever its impact; ``AXE_DISABLED_RULES`` is empty.
``check_page`` checks the page again in its current state (after typing,
an error message, an opened ``<details>``) and reports what was found so
far.

The helpers at the bottom (``sign_in``, ``check_page`` ...) are reached
through the ``ui`` fixture; shared constants come from ``tests/support.py``.
"""
import contextlib
import json
import os
import threading
import time
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

#: axe rules not run, each with its reason.  Every other violation fails a
#: page, whatever its impact (minor, moderate, serious, critical).
AXE_DISABLED_RULES = {}


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
    with _watched_tabs(browser, live_server.url) as make:
        yield make


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

#: Run in every document before its own scripts (Playwright injects init
#: scripts through the DevTools protocol, which the app's CSP does not
#: govern): axe-core checks the top document of the live server when it
#: has loaded (and again when it comes back from the back-forward cache),
#: and hands its violations to Python through the ``__axeReport`` binding.
_AXE_RUNNER = """
(() => {
  const config = %s;
  if (window.top !== window || !location.href.startsWith(config.base)) return;
  const check = () => axe.run(document, config.options).then(
      results => window.__axeReport({url: location.href, violations: results.violations}),
      error => window.__axeReport({url: location.href, error: String(error)}));
  window.addEventListener('load', () => { check(); });
  window.addEventListener('pageshow', event => { if (event.persisted) check(); });
})();
"""

#: How long a document may take to load and be checked before the page
#: leaves it (or the test ends); longer is reported as a failure.
AXE_WAIT_SECONDS = 20


def _axe_options():
    options = {'resultTypes': ['violations']}
    if AXE_DISABLED_RULES:
        options['rules'] = {rule: {'enabled': False} for rule in AXE_DISABLED_RULES}
    return options


def _watch(page, base_url):
    """Record 5xx answers and Content-Security-Policy reports on ``page``,
    and have axe check every document it loads from the live server.

    The main frame's navigations are counted; each document reports its
    axe results at ``load`` (``_AXE_RUNNER``).  A route holds the main
    frame's next navigation request until the document being left has
    reported, so no page escapes the check however fast a test clicks on;
    the page a test ends on is checked at teardown (``_check_unchecked``).
    Violations are kept in ``page.axe_failures``, since Playwright handlers
    cannot fail a test: ``check_page`` and the ``new_tab`` teardown report
    them.
    """
    page.server_errors = []
    page.csp_violations = []
    page.axe_failures = []
    page.axe = SimpleNamespace(base_url=base_url, document=0, checked=0, url=None)

    def on_response(response):
        if response.status >= 500:
            page.server_errors.append('%s %s' % (response.status, response.url))

    def on_console(message):
        if 'Content Security Policy' in message.text:
            page.csp_violations.append('%s: %s' % (page.url, message.text))

    def on_navigated(frame):
        if frame == page.main_frame:
            page.axe.document += 1
            page.axe.url = frame.url

    def on_axe_report(source, report):
        state = page.axe
        if source['frame'] == page.main_frame and \
                _same_document(report['url'], state.url):
            state.checked = state.document
        label = 'page loaded from %s' % urlsplit(report['url']).path
        if report.get('error'):
            page.axe_failures.append('axe failed on %s (%s): %s'
                                     % (label, report['url'], report['error']))
        elif report['violations']:
            page.axe_failures.append(
                _describe(report['violations'], label, report['url']))

    def before_navigation(route, request):
        if request.is_navigation_request() and request.frame == page.main_frame:
            _wait_for_report(page)
        route.fallback()

    page.on('response', on_response)
    page.on('console', on_console)
    page.on('framenavigated', on_navigated)
    page.expose_binding('__axeReport', on_axe_report)
    config = json.dumps({'base': base_url, 'options': _axe_options()})
    page.add_init_script(_axe_js_path().read_text(encoding='utf-8')
                         + '\n' + _AXE_RUNNER % config)
    page.route('**/*', before_navigation)


def _axe_js_path():
    import axe_playwright_python
    return Path(axe_playwright_python.__file__).parent / 'axe.min.js'


def _same_document(a, b):
    return (a or '').split('#')[0] == (b or '').split('#')[0]


def _unchecked(page):
    state = page.axe
    return (state.checked < state.document
            and (state.url or '').startswith(state.base_url))


def _wait_for_report(page):
    """Wait (letting Playwright's events in) until the current document
    has reported its axe results; True if it did."""
    deadline = time.monotonic() + AXE_WAIT_SECONDS
    while _unchecked(page) and time.monotonic() < deadline:
        page.wait_for_timeout(25)
    return not _unchecked(page)


def _check_unchecked(page):
    """At the end of a test: the current document must be checked too."""
    if not _wait_for_report(page):
        _run_axe(page, 'page loaded from %s' % urlsplit(page.axe.url).path)


def _run_axe(page, label):
    """Run axe on the document as it is now; keep what it finds."""
    _wait_for_report(page)     # axe runs one check at a time
    url = page.url
    try:
        violations = page.evaluate(
            'options => axe.run(document, options).then(r => r.violations)',
            _axe_options())
    except Exception as exc:
        page.axe_failures.append('axe failed on %s (%s): %s' % (label, url, exc))
        return
    if _same_document(url, page.axe.url):
        page.axe.checked = page.axe.document
    if violations:
        page.axe_failures.append(_describe(violations, label, url))


def _describe(violations, label, url):
    lines = ['axe found %d violation(s) on %s (%s):' % (len(violations), label, url)]
    for violation in violations:
        lines.append('- %s [%s]: %s  (%s)' % (
            violation['id'], violation.get('impact'), violation.get('help', ''),
            violation.get('helpUrl', '')))
        for node in violation['nodes']:
            lines.append('    target=%s' % node.get('target'))
            lines.append('    html=%s' % node.get('html'))
            summary = node.get('failureSummary')
            if summary:
                lines.append('    ' + summary.replace('\n', '\n    '))
    return '\n'.join(lines)


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
    """No axe violation, of any impact, on the page as it is now, nor on
    any page this tab loaded before.

    axe is injected as an init script and run with ``page.evaluate``.
    The app's CSP (``script-src 'self'``) forbids inline scripts, but
    Playwright injects and evaluates through the DevTools protocol, which
    CSP does not govern; so no ``bypass_csp`` context is needed (checked:
    axe runs and reports on these pages with the CSP header in force).
    """
    _run_axe(page, label or path_of(page))
    if page.axe_failures:
        failures, page.axe_failures[:] = list(page.axe_failures), []
        pytest.fail('\n\n'.join(failures), pytrace=False)


def check_page(page, label=None):
    """Every page a test visits: axe clean, no CSP violation, no 5xx."""
    assert not page.server_errors, 'server errors: %s' % page.server_errors
    assert not page.csp_violations, \
        'Content-Security-Policy violations: %s' % page.csp_violations
    assert_axe_clean(page, label)


# --- tabs on another server ----------------------------------------------------

@contextlib.contextmanager
def _watched_tabs(browser, server_url):
    """``make(**context_options)``: a page in its own fresh context on
    ``server_url``, watched by ``_watch``; when the block ends, the page
    each tab ends on is checked too, every violation found fails the test,
    and the contexts are closed.  ``new_tab`` and ``tabs_on`` use it."""
    contexts = []

    def make(**options):
        options.setdefault('base_url', server_url)
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        _watch(page, server_url)
        return page

    yield make
    try:
        failures = []
        for context in contexts:
            for page in context.pages:
                if not page.is_closed():
                    _check_unchecked(page)
                failures.extend(page.axe_failures)
        if failures:
            pytest.fail('\n\n'.join(failures), pytrace=False)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def tabs_on(browser):
    """``tabs_on(server_url, **context_options)``: like ``new_tab``, for a
    server other than ``live_server`` (a clinic a test made itself, e.g.
    with ``minorconsent-init``): axe checks every page, the CSP and 5xx
    answers are recorded, the tabs are checked and closed after the test."""
    with contextlib.ExitStack() as stack:
        makers = {}

        def make(server_url, **options):
            if server_url not in makers:
                makers[server_url] = stack.enter_context(
                    _watched_tabs(browser, server_url))
            return makers[server_url](**options)

        yield make


@pytest.fixture
def checks():
    """The page checks of ``ui`` without the seeded live server (for tests
    on a server of their own)."""
    return SimpleNamespace(check_page=check_page, assert_axe_clean=assert_axe_clean,
                           path_of=path_of, server_errors=server_errors, sign_in=sign_in,
                           ARTIFACTS=ARTIFACTS)
