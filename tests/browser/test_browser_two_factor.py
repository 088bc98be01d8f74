"""A therapist sets up two-step sign-in and signs in with a code, in a real
browser (axe and the CSP checked on every page)."""
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

import support
from minorconsent.accounts import User

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

EMAIL = 'twostep.therapist@demo.test'


@pytest.fixture
def own_therapist(live_server):
    """A therapist of this test's own (the live server is shared)."""
    app = live_server.app
    with support.clinic_of(app.registry._zodb_databases[''], app.registry) as clinic:
        users = clinic['users']
        if users.find_by_email(EMAIL) is None:
            user = User(EMAIL, 'Two Step Therapist', ['therapist'])
            user.password_hash = app.registry.passwords.hash(support.DEMO_PASSWORD)
            users.add_user(user)
    return EMAIL


def test_therapist_enrols_then_signs_in_with_a_code(tab, ui, own_therapist):
    page = tab
    ui.sign_in(page, own_therapist)
    page.goto('/two-factor')
    expect(page.get_by_role('heading', level=1)).to_have_text('Two-step sign-in')
    ui.check_page(page, 'two-step sign-in, not set up')
    # Setting it up asks for the password first (a signed-in browser alone
    # must not be enough to put the factor on someone else's phone).
    page.locator('form#start').get_by_label('Current password').fill(support.DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role('button', name='Set up an authenticator app').click()
    expect(page.get_by_role('img', name='QR code to scan with your authenticator app')) \
        .to_be_visible()
    ui.check_page(page, 'two-step set-up with QR code')
    secret = page.locator('code.secret').inner_text().replace(' ', '')
    assert re.fullmatch(r'[A-Z2-7]{32}', secret)
    form = page.locator('form#confirm')
    form.get_by_label('Code shown in the app').fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        form.get_by_role('button', name='Turn on two-step sign-in').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Your recovery codes')
    expect(page.locator('ul.recovery-codes li')).to_have_count(10)
    ui.check_page(page, 'recovery codes')

    page.get_by_role('button', name='Sign out').click()
    page.wait_for_url(re.compile(r'/login$'))
    ui.sign_in(page, own_therapist)
    assert ui.path_of(page) == '/login-code'
    assert not [c for c in page.context.cookies() if c['name'] == 'mc_session' and c['value']]
    expect(page.get_by_role('heading', level=1)).to_have_text('Enter your sign-in code')
    ui.check_page(page, 'sign-in code step')
    form = page.locator('form#form')
    # The enrolment code's time step is spent; the next one is within the window.
    form.get_by_label('Code').fill(pyotp.TOTP(secret).at(time.time() + 30))
    with page.expect_navigation():
        form.get_by_role('button', name='Continue').click()
    assert ui.path_of(page).rstrip('/') == '/todo'
    expect(page.get_by_role('heading', level=1)).to_have_text('To-do')
    ui.check_page(page, 'to-do list after two-step sign-in')
