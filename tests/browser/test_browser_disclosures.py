"""Disclosures end to end: the therapist records one, the supervisor signs it
off, the guardian reads the words on a phone and sees who read the
summaries; the admin reads the audit trail."""
import re
import uuid
from datetime import date

import pytest
from playwright.sync_api import expect

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

PHONE = dict(viewport={'width': 360, 'height': 740}, device_scale_factor=2,
             is_mobile=True, has_touch=True)


def test_a_safety_notice_from_record_to_the_guardians_phone(new_tab, ui):
    words = 'Safety plan %s: call the crisis line if needed.' % uuid.uuid4().hex[:8]
    mateo = '/clients/%s/' % ui.demo.mateo

    therapist = new_tab()
    ui.sign_in(therapist, ui.ROLE_EMAILS['therapist'])
    therapist.goto(mateo)
    therapist.get_by_role('link', name=re.compile('^Disclosures, releases')).click()
    expect(therapist.get_by_role('heading', level=1)).to_have_text(
        'Disclosures, releases and requests')
    ui.check_page(therapist, 'client sharing page')
    therapist.get_by_role('link', name='Record a disclosure').click()
    ui.check_page(therapist, 'disclosure form')
    therapist.get_by_label('Legal reason').select_option('harm_self')
    therapist.get_by_label('A guardian of the client').check()
    therapist.get_by_label('The guardian told').select_option(label='Elena Alvarez')
    therapist.get_by_label('Date told').fill(date.today().isoformat())
    therapist.get_by_label('Exactly what was disclosed').fill(words)
    therapist.get_by_role('button', name='Record disclosure').click()
    expect(therapist.get_by_text(words)).to_be_visible()
    expect(therapist.locator('h1 .badge')).to_have_text('Awaiting supervisor sign-off')
    ui.check_page(therapist, 'disclosure page')
    disclosure_path = ui.path_of(therapist)

    guardian = new_tab(**PHONE)
    ui.sign_in(guardian, ui.ROLE_EMAILS['guardian'])
    guardian.goto(mateo + 'family')
    expect(guardian.get_by_text(words)).to_have_count(0)   # not before sign-off

    supervisor = new_tab()
    ui.sign_in(supervisor, ui.ROLE_EMAILS['supervisor'])
    supervisor.goto(disclosure_path)
    supervisor.get_by_role('button', name='Sign off').click()
    expect(supervisor.locator('h1 .badge')).to_have_text('Recorded')

    guardian.goto(mateo + 'family')
    notices = guardian.get_by_role('region', name='Safety notices from the therapist')
    expect(notices.get_by_text(words)).to_be_visible()
    assert ui.MARKER not in guardian.content()
    ui.check_page(guardian, 'guardian child page with a notice (phone)')
    guardian.get_by_role('link', name='Who at the clinic has read these updates').click()
    expect(guardian.get_by_role('heading', level=1)).to_have_text("Who has read Mateo's updates")
    expect(guardian.get_by_text('Dr. Demo Pediatrician', exact=False)).to_be_visible()
    assert ui.MARKER not in guardian.content()
    ui.check_page(guardian, 'guardian accounting page (phone)')


def test_the_admin_reads_and_filters_the_audit_trail(tab, ui):
    page = tab
    ui.sign_in(page, ui.ROLE_EMAILS['admin'])
    page.get_by_role('navigation', name='Main').get_by_role(
        'link', name='Audit trail', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Audit trail')
    # The live server seals reads every second: the admin's own sign-in shows.
    expect(page.get_by_role('cell', name='auth.sign_in', exact=True).first).to_be_visible()
    ui.check_page(page, 'audit trail')
    page.get_by_label('Action').select_option('auth.sign_in')
    page.get_by_role('button', name='Filter').click()
    rows = page.locator('table.list tbody tr')
    expect(rows.first).to_be_visible()
    for text in rows.all_inner_texts():
        assert 'auth.sign_in' in text
    ui.check_page(page, 'audit trail, filtered')
