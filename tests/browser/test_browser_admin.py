"""The clinic admin's pages."""
import pytest
from playwright.sync_api import expect

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]


def test_admin_accounts_and_settings(tab, ui):
    page = tab
    ui.sign_in(page, ui.ROLE_EMAILS['admin'])
    nav = page.get_by_role('navigation', name='Main')

    nav.get_by_role('link', name='Accounts', exact=True).click()
    page.wait_for_url('**/users')
    expect(page.get_by_role('heading', level=1)).to_have_text('Accounts')
    table = page.get_by_role('table')
    for role, email in ui.ROLE_EMAILS.items():
        cell = table.get_by_role('cell', name=email, exact=True)
        # A client's own account is listed by an opaque label and a masked
        # address: the admin learns that it is a client account, not whose.
        expect(cell).to_have_count(0 if role == 'adolescent' else 1)
    expect(table.get_by_role('row').filter(has_text='Adolescent client')
           .filter(has_text='Client account')).to_have_count(1)
    ui.check_page(page, 'accounts')

    nav.get_by_role('link', name='Clinic settings', exact=True).click()
    page.wait_for_url('**/settings')
    expect(page.get_by_role('heading', level=1)).to_have_text('Clinic settings')
    expect(page.get_by_label('Clinic name')).not_to_have_value('')
    expect(page.get_by_role('button', name='Save')).to_be_visible()
    ui.check_page(page, 'clinic settings')
