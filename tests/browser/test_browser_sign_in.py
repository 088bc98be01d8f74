"""Signing in and out in a real browser."""
import re

import pytest
from playwright.sync_api import expect

from minorconsent.accounts.views import SIGN_IN_FAILED

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]


def test_wrong_password_then_therapist_lands_on_client_list(tab, ui):
    page = tab
    response = page.goto('/login')
    assert response.status == 200
    expect(page.get_by_role('heading', level=1)).to_contain_text('Sign in')
    ui.check_page(page, 'sign-in form')

    ui.sign_in(page, ui.ROLE_EMAILS['therapist'], 'not-the-password-9')
    assert ui.path_of(page) == '/login'
    password_item = page.locator('form#form .item-password')
    error = password_item.locator('[id^="error-"]')
    expect(error).to_be_visible()
    expect(error).to_have_text(SIGN_IN_FAILED)
    expect(page.locator('form#form input[name="email"]')).to_have_value(
        ui.ROLE_EMAILS['therapist'])
    assert 'mc_session' not in {c['name'] for c in page.context.cookies()}
    ui.check_page(page, 'sign-in form with error')

    # An address without an account gets the very same words.
    ui.sign_in(page, 'nobody-here@demo.test', 'not-the-password-9')
    assert ui.path_of(page) == '/login'
    expect(page.locator('form#form .item-password [id^="error-"]')).to_have_text(
        SIGN_IN_FAILED)

    ui.sign_in(page, ui.ROLE_EMAILS['therapist'])
    # A therapist lands on the to-do list (issue 17), axe-checked here too.
    assert ui.path_of(page).rstrip('/') == '/todo'
    expect(page.get_by_role('heading', level=1)).to_have_text('To-do')
    ui.check_page(page, 'therapist to-do list')
    page.goto('/clients/')
    expect(page.get_by_role('heading', level=1)).to_have_text('My clients')
    rows = page.get_by_role('table').locator('tbody tr')
    # The Alvarez children, the Fairhaven child (joint custody family) and
    # Noah Brennan (turning 18 soon, on the to-do list).
    expect(rows).to_have_count(4)
    expect(page.get_by_role('link', name='Alvarez, Mateo')).to_be_visible()
    expect(page.get_by_role('link', name='Alvarez, Lucia')).to_be_visible()
    expect(page.get_by_role('link', name='Fairhaven, Rowan')).to_be_visible()
    expect(page.get_by_role('link', name='Novak, Ava')).to_have_count(0)
    ui.check_page(page, 'therapist client list')


@pytest.mark.parametrize('role, start', [
    ('therapist', 'client'),   # the child's clinical record
    ('guardian', 'child'),     # the family portal page of a child
])
def test_sign_out_then_back_and_reload_show_nothing(tab, ui, role, start):
    page = tab
    demo = ui.demo
    ui.sign_in(page, ui.ROLE_EMAILS[role])
    url = ('/clients/%s/' % demo.mateo if start == 'client'
           else '/clients/%s/family' % demo.mateo)
    response = page.goto(url)
    assert response.status == 200
    assert response.headers.get('cache-control') == 'no-store'
    expect(page.get_by_role('heading', level=1)).to_contain_text('Mateo')
    signed_in_path = ui.path_of(page)

    page.get_by_role('button', name='Sign out').click()
    page.wait_for_url(re.compile(r'/login$'))
    expect(page.get_by_role('status')).to_have_text('You are signed out.')
    expect(page.get_by_role('button', name='Sign out')).to_have_count(0)
    assert not [c for c in page.context.cookies()
                if c['name'] == 'mc_session' and c['value']]
    ui.check_page(page, 'sign-in form after sign-out')

    def assert_not_signed_in(when):
        html = page.content()
        where = '%s, at %s' % (when, page.url)
        assert 'Mateo' not in html, 'the child is shown after sign-out (%s)' % where
        assert ui.MARKER not in html, 'private text shown after sign-out (%s)' % where
        assert page.get_by_role('button', name='Sign out').count() == 0, where
        heading = page.get_by_role('heading', level=1).inner_text()
        assert (ui.path_of(page) == '/login' and heading.startswith('Sign in')) \
            or heading == 'Page not found', 'unexpected page (%s): %r' % (where, heading)

    page.go_back()
    page.wait_for_load_state()
    assert ui.path_of(page) in (signed_in_path, '/login')
    assert_not_signed_in('after Back')

    page.reload()
    assert_not_signed_in('after Back and reload')
    assert not page.server_errors, page.server_errors
