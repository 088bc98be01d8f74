"""Per-client-IP rate limits: in memory, bounded, a translated 429 with
Retry-After, on the audit trail, and no database commit of their own."""
import pytest

from support import ROLE_EMAILS, audit_entries, new_browser
from minorconsent.security.ratelimit import Limit, RateLimiter, TokenBuckets


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_bucket_allows_a_burst_then_one_per_period():
    clock = Clock()
    buckets = TokenBuckets(Limit(burst=3, per_seconds=10), clock=clock)
    assert [buckets.take('a') for _ in range(3)] == [0, 0, 0]
    assert buckets.take('a') == 10
    assert buckets.take('b') == 0            # per key
    clock.now += 10
    assert buckets.take('a') == 0
    assert buckets.take('a') > 0


def test_memory_is_bounded():
    buckets = TokenBuckets(Limit(burst=1, per_seconds=60), max_keys=100, clock=Clock())
    for n in range(1000):
        buckets.take('192.0.2.%d' % n)
    assert len(buckets) == 100


def test_off_means_off():
    limiter = RateLimiter(enabled=False)
    assert all(limiter.check('sign-in', 'x') == 0 for _ in range(100))


@pytest.fixture
def limited(app):
    """The app with tight limits for the length of one test."""
    saved = app.registry.rate_limiter
    app.registry.rate_limiter = RateLimiter({
        name: Limit(burst=2, per_seconds=60) for name in saved.buckets})
    yield app
    app.registry.rate_limiter = saved


def post_login(browser):
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = ROLE_EMAILS['therapist'], 'wrong password here'
    return form.submit(expect_errors=True)


def test_sign_in_answers_429_with_retry_after(limited):
    browser = new_browser(limited)
    assert post_login(browser).status_int == 200
    assert post_login(browser).status_int == 200
    res = post_login(browser)
    assert res.status_int == 429
    assert res.headers['Retry-After'] == '60'
    assert 'Too many attempts' in res.text and '1 minute' in res.text
    # Another address is not affected.
    other = new_browser(limited)
    other.extra_environ['REMOTE_ADDR'] = '192.0.2.99'
    assert post_login(other).status_int == 200
    entry = [e for e in audit_entries(limited) if e['action'] == 'auth.rate_limited'][0]
    assert entry['detail'] == 'sign-in' and entry['ip'] == '192.0.2.10'
    assert entry['outcome'] == '429'


def test_the_429_page_is_in_spanish(limited):
    browser = new_browser(limited)
    browser.extra_environ['HTTP_ACCEPT_LANGUAGE'] = 'es'
    for _ in range(2):
        post_login(browser)
    res = post_login(browser)
    assert res.status_int == 429 and 'Demasiados intentos' in res.text


def test_invitation_links_are_limited_without_a_commit(limited):
    browser = new_browser(limited)
    before = limited.db.storage.lastTransaction()
    for _ in range(2):
        assert browser.get('/invite/guess', expect_errors=True).status_int == 404
    assert browser.get('/invite/guess', expect_errors=True).status_int == 429
    assert limited.db.storage.lastTransaction() == before


def test_reset_request_and_reset_links_are_limited(limited):
    browser = new_browser(limited)
    for _ in range(2):
        form = browser.get('/forgot-password').forms['form']
        form['email'] = 'nobody@demo.test'
        assert form.submit().status_int == 302
    form = browser.get('/forgot-password').forms['form']
    form['email'] = 'nobody@demo.test'
    assert form.submit(expect_errors=True).status_int == 429
    for _ in range(2):
        browser.get('/reset-password/guess', expect_errors=True)
    assert browser.get('/reset-password/guess', expect_errors=True).status_int == 429


def test_the_code_step_is_limited(limited, clinic):
    import pyotp
    from minorconsent.accounts.twofactor import TwoFactor
    with clinic() as c:
        factor = c['users'].find_by_email(ROLE_EMAILS['therapist']).two_factor = TwoFactor()
        factor.confirm(pyotp.TOTP(factor.start()).now())
    statuses = []
    for n in range(3):
        browser = new_browser(limited)
        browser.extra_environ['REMOTE_ADDR'] = '192.0.2.%d' % (50 + n)   # fresh sign-in IPs
        form = browser.get('/login').forms['form']
        form['email'], form['password'] = ROLE_EMAILS['therapist'], 'demo-password-1'
        form.submit()
        browser.extra_environ['REMOTE_ADDR'] = '192.0.2.200'              # one code IP
        form = browser.get('/login-code').forms['form']
        form['code'] = '000000'
        statuses.append(form.submit(expect_errors=True).status_int)
    assert statuses == [400, 400, 429]


def test_email_changes_and_their_links_are_limited(limited):
    """Each change checks the password and may send a mail: the form has a
    door of its own, and so has the page its link opens."""
    from support import sign_in
    browser = sign_in(limited, ROLE_EMAILS['guardian'])
    for n in range(2):
        form = browser.get('/password').forms['email']
        form['new_email'], form['current'] = 'x%d@example.org' % n, 'wrong password here'
        assert form.submit(expect_errors=True).status_int == 400
    form = browser.get('/password').forms['email']
    form['new_email'], form['current'] = 'x@example.org', 'demo-password-1'
    res = form.submit(expect_errors=True)
    assert res.status_int == 429 and res.headers['Retry-After']
    for _ in range(2):
        browser.get('/confirm-email/guess', expect_errors=True)
    assert browser.get('/confirm-email/guess', expect_errors=True).status_int == 429
    assert any(e['action'] == 'auth.rate_limited' and e['detail'] == 'email-change'
               for e in audit_entries(limited))
