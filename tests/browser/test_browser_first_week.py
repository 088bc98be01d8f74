"""A clinic's first week, in a real browser, from a clinic made with
``minorconsent-init`` and nothing else (no demo seed): issue 16's "done
when".

Journey 1: the admin enrols a second factor and makes a therapist account
without a password; the therapist sets it up from the mailed link, adds a
14-year-old client, links a guardian, invites the client to their own
sign-in and sends the consent; the guardian signs from the invitation, the
teen sets up the account and assents; a summary goes to the teen first,
then to the guardian.  The client turns 18 (the date of birth moved back in
the database), the teen's page becomes an adult's, the client signs their
own consent.

Journey 2: another client; the therapist records the guardian's paper
signature, the consent is active as if signed online; the case is closed.

Every page is axe-checked (``tabs_on``), every family page is checked for
sideways scrolling on a 360 px phone.
"""
import datetime
import re
import time
from pathlib import Path

import pypdf
import pytest
from playwright.sync_api import expect

from firstweek import (GUARDIAN, GUARDIAN_PASSWORD, PAPER_GUARDIAN, TEEN, TEEN_PASSWORD,
                       add_client, assert_fits, born_years_ago, follow, fresh_clinic,  # noqa: F401
                       fresh_tab, link_guardian, link_in, mail_to, path_of,  # noqa: F401
                       sign_online, therapist_tab, tiny_png, turn_eighteen)
from minorconsent.site.clock import utcnow
from test_browser_family import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]


def test_a_client_from_fourteen_to_eighteen(fresh_clinic, fresh_tab, checks):
    clinic = fresh_clinic
    staff = therapist_tab(clinic, fresh_tab, checks)

    # --- a 14-year-old client, a guardian, the client's own sign-in -------------
    client_id = add_client(staff, checks, 'Nova', 'Firstweek', born_years_ago(14))
    client_page = '/clients/%s/' % client_id
    clinic.nova = client_id
    link_guardian(staff, checks, GUARDIAN, 'Sam Firstweek')

    follow(staff, 'Invite the client to their own sign-in')
    expect(staff.get_by_role('heading', level=1)).to_contain_text("own sign-in")
    checks.check_page(staff, "the client's own sign-in, not given yet")
    staff.get_by_label("The client's own email address").fill(TEEN)
    since_teen = time.time_ns()
    with staff.expect_navigation():
        staff.get_by_role('button', name='Invite Client').click()
    assert path_of(staff) == '/clients/%s/own-account' % client_id, staff.url
    expect(staff.get_by_role('status')).to_have_text('The invitation is sent.')
    checks.check_page(staff, "the client's own sign-in, invited")
    teen_mail = mail_to(clinic, TEEN, since_teen)
    assert 'Nova' not in teen_mail and 'therap' not in teen_mail.lower(), teen_mail
    teen_welcome = link_in(teen_mail, clinic, 'welcome')

    # --- the consent, with the client's assent, sent -----------------------------
    staff.goto(client_page)
    follow(staff, 'Start an agreement')
    checks.check_page(staff, 'start an agreement')
    staff.get_by_label('Consent to treatment').check()
    staff.get_by_label('Sam Firstweek').check()
    staff.get_by_label("Ask for the client's assent").check()
    with staff.expect_navigation():
        staff.get_by_role('button', name='Start').click()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Consent to treatment')
    consent_url = staff.url
    checks.check_page(staff, 'consent, draft')
    since = time.time_ns()
    with staff.expect_navigation():
        staff.get_by_role('button', name='Send for signature').click()
    checks.check_page(staff, 'consent, sent')
    guardian_mail = mail_to(clinic, GUARDIAN, since)
    assert 'Nova' not in guardian_mail and 'therap' not in guardian_mail.lower(), guardian_mail
    invitation = link_in(guardian_mail, clinic, 'invite')

    # --- the guardian accepts the invitation and signs, on a phone ---------------
    parent = fresh_tab(**PHONE)
    parent.goto(invitation)
    expect(parent.get_by_role('heading', level=1)).to_have_text('You have a document to review')
    assert_fits(parent, 'the invitation page')
    checks.check_page(parent, 'invitation (guardian)')
    parent.get_by_label('Choose a password').fill(GUARDIAN_PASSWORD)
    parent.get_by_label('The same password again').fill(GUARDIAN_PASSWORD)
    with parent.expect_navigation():
        parent.get_by_role('button', name='Create My Account').click()
    expect(parent.get_by_role('heading', level=1)).to_have_text('Consent to treatment')
    assert_fits(parent, 'the electronic documents disclosure')
    checks.check_page(parent, 'electronic documents disclosure (guardian)')
    sign_online(parent, checks, 'Sam Firstweek', 'guardian')
    # The assent is still missing: signed by the guardian, not active yet.
    expect(parent.locator('.badge')).not_to_have_text('Active')

    # --- the teen sets up their own sign-in and assents --------------------------
    teen = fresh_tab(**PHONE)
    teen.goto(teen_welcome)
    expect(teen.get_by_role('heading', level=1)).to_have_text('Welcome')
    assert_fits(teen, "the client's welcome page")
    checks.check_page(teen, 'welcome page (client)')
    teen.get_by_label('Choose a password').fill(TEEN_PASSWORD)
    teen.get_by_label('The same password again').fill(TEEN_PASSWORD)
    with teen.expect_navigation():
        teen.get_by_role('button', name='Create my account').click()
    assert path_of(teen) == '/clients/%s/mine' % client_id, teen.url
    expect(teen.get_by_role('heading', level=1)).to_have_text('Hi Nova')
    expect(teen.get_by_role('heading', name='You are an adult now')).to_have_count(0)
    expect(teen.locator('.clinic-contact')).to_contain_text('In a crisis:')
    assert_fits(teen, "the client's own page")
    checks.check_page(teen, "the client's own page (14)")
    follow(teen, 'Consent to treatment')
    assert_fits(teen, 'the assent page')
    checks.check_page(teen, 'assent page')
    sign_online(teen, checks, 'Nova Firstweek', 'client')
    expect(teen.locator('.badge')).to_have_text('Active')
    staff.goto(consent_url)
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Active')
    checks.check_page(staff, 'consent, active')

    first_journey_summary(staff, teen, parent, checks, client_page, client_id)
    first_journey_majority(clinic, staff, teen, parent, checks, client_page, client_id)


def test_a_paper_signature_then_the_case_closed(fresh_clinic, fresh_tab, checks):
    clinic = fresh_clinic
    today = datetime.date.today()
    staff = therapist_tab(clinic, fresh_tab, checks)
    client_id = add_client(staff, checks, 'Paz', 'Papelero', born_years_ago(9))
    client_page = '/clients/%s/' % client_id
    link_guardian(staff, checks, PAPER_GUARDIAN, 'Ines Papelero')
    follow(staff, 'Start an agreement')
    staff.get_by_label('Consent to treatment').check()
    staff.get_by_label('Ines Papelero').check()
    with staff.expect_navigation():
        staff.get_by_role('button', name='Start').click()
    consent_url = staff.url
    with staff.expect_navigation():
        staff.get_by_role('button', name='Send for signature').click()
    checks.check_page(staff, 'consent, sent (paper journey)')

    # The mother signs the printed agreement in the office.
    follow(staff, 'Record a signature on paper')
    expect(staff.get_by_role('heading', level=1)).to_have_text(
        'Record a signature on paper: Consent to treatment')
    checks.check_page(staff, 'record a signature on paper')
    form = staff.locator('form#form')
    signer = form.get_by_label('Who signed')
    signer.select_option(signer.locator('option', has_text='Ines Papelero').get_attribute('value'))
    form.get_by_label('Scan of the signed page').set_input_files(
        files=[{'name': 'signed-consent.png', 'mimeType': 'image/png', 'buffer': tiny_png()}])
    form.get_by_label('Witnessed by').fill('Dana Reception')
    signed_on = utcnow().date().isoformat()
    form.get_by_label('Day signed').fill(signed_on)
    with staff.expect_navigation():
        form.get_by_role('button', name='Record signature').click()
    assert staff.url == fresh_clinic.url + consent_url.split(fresh_clinic.url, 1)[1], staff.url
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Active')
    expect(staff.locator('main')).to_contain_text(
        'signed on paper on %s, witnessed by Dana Reception, recorded by Robin Firstweek'
        % signed_on)
    expect(staff.get_by_role('link', name='Download the scan')).to_have_count(1)
    checks.check_page(staff, 'consent, active from a paper signature')
    with staff.expect_download() as download:
        staff.get_by_role('link', name='Download the scan').click()
    assert Path(download.value.path()).read_bytes() == tiny_png()
    # The certificate says how it was signed.
    with staff.expect_download() as download:
        staff.get_by_role('link', name='Download the signed PDF').click()
    certificate = ' '.join(''.join(
        p.extract_text() for p in pypdf.PdfReader(download.value.path()).pages).split())
    assert re.search(r'Signed by Ines Papelero \(.*\) on paper on %s, witnessed by Dana '
                     r'Reception, recorded by Robin Firstweek at ' % signed_on,
                     certificate), certificate

    # Active as if signed online: the client record says so.
    staff.goto(client_page)
    agreement = staff.locator('li', has=staff.get_by_role('link', name='Consent to treatment'))
    expect(agreement.locator('.badge:not(.warn)')).to_have_text('Active')

    # The case is closed: off "My clients", on "Closed cases".
    follow(staff, 'Close the case')
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Close the case')
    checks.check_page(staff, 'close the case')
    form = staff.locator('form#form')
    form.get_by_label('Date of the last service').fill(today.isoformat())
    form.get_by_label('Reason (for staff only)').fill('Treatment goals met')
    with staff.expect_navigation():
        form.get_by_role('button', name='Close Case').click()
    assert path_of(staff) == client_page, staff.url
    expect(staff.get_by_role('status')).to_have_text('The case is closed.')
    checks.check_page(staff, 'client record, case closed')
    staff.goto('/clients/')
    expect(staff.get_by_role('link', name='Papelero, Paz')).to_have_count(0)
    expect(staff.get_by_role('link', name='Firstweek, Nova')).to_have_count(
        0 if clinic.nova is None else 1)
    checks.check_page(staff, 'my clients without the closed case')
    follow(staff, 'Closed cases')
    expect(staff.get_by_role('heading', level=1)).to_have_text('Closed cases')
    expect(staff.get_by_role('link', name='Papelero, Paz')).to_have_count(1)
    checks.check_page(staff, 'closed cases')


def first_journey_summary(staff, teen, parent, checks, client_page, client_id):
    """A goal, a summary the teen reads and agrees to first, published,
    read by the guardian on the child page."""
    staff.goto(client_page)
    follow(staff, 'Add a goal')
    checks.check_page(staff, 'add a goal')
    form = staff.locator('form#form')
    form.locator('[name="parent_title"]').fill('Calmer mornings before school')
    form.locator('[name="parent_description"]').fill('A morning routine that works.')
    form.locator('[name="clinical_text"]').fill('Anticipatory anxiety on school days.')
    with staff.expect_navigation():
        form.get_by_role('button', name='Add goal').click()
    expect(staff.get_by_role('status')).to_have_text('The goal is added.')
    checks.check_page(staff, 'client record with a goal')

    follow(staff, 'Write a summary')
    checks.check_page(staff, 'write a summary')
    form = staff.locator('form#form')
    form.get_by_label('Period').fill('The first weeks')
    form.get_by_label('What guardians will read').fill(
        'Nova comes every week and is working on calmer mornings.')
    with staff.expect_navigation():
        form.get_by_role('button', name='Write draft').click()
    checks.check_page(staff, 'summary, draft')
    summary_url = staff.url
    with staff.expect_navigation():
        staff.get_by_role('button', name='Ask the client to review').click()
    checks.check_page(staff, 'summary, in the client review')

    # The guardian sees nothing of it yet.
    parent.goto('/clients/%s/family' % client_id)
    expect(parent.get_by_text('working on calmer mornings')).to_have_count(0)

    teen.goto('/clients/%s/mine' % client_id)
    follow(teen, 'Read it before your parents do')
    expect(teen.get_by_role('heading', level=1)).to_have_text('Before your parents read this')
    expect(teen.locator('article.summary')).to_contain_text('working on calmer mornings')
    assert_fits(teen, 'the review page')
    checks.check_page(teen, 'summary review (client)')
    with teen.expect_navigation():
        teen.get_by_role('button', name='It is OK to share').click()
    assert path_of(teen) == '/clients/%s/mine' % client_id, teen.url
    assert_fits(teen, "the client's own page after the review")
    checks.check_page(teen, "the client's own page after the review")

    staff.goto(summary_url)
    with staff.expect_navigation():
        staff.get_by_role('button', name='Publish (the client agreed)').click()
    expect(staff.locator('.badge').first).to_contain_text('Published')
    checks.check_page(staff, 'summary, published')

    parent.goto('/family')
    assert_fits(parent, 'the family list')
    checks.check_page(parent, 'my family (guardian)')
    follow(parent, 'Nova')
    assert path_of(parent) == '/clients/%s/family' % client_id
    expect(parent.get_by_role('heading', level=1)).to_have_text('Nova')
    expect(parent.get_by_text('working on calmer mornings')).to_be_visible()
    expect(parent.get_by_text('Calmer mornings before school')).not_to_have_count(0)
    html = parent.content()
    assert 'Anticipatory anxiety' not in html, 'a clinical text reached the guardian'
    assert_fits(parent, 'the child page')
    checks.check_page(parent, 'child page with the summary (guardian)')


def first_journey_majority(clinic, staff, teen, parent, checks, client_page, client_id):
    """At 18 the teen's page is an adult's, the therapist sends the
    client's own consent and the client signs it."""
    turn_eighteen(clinic, client_id)
    teen.goto('/clients/%s/mine' % client_id)
    expect(teen.get_by_role('heading', level=1)).to_have_text('Hi Nova')
    expect(teen.get_by_role('heading', level=2, name='You are an adult now')).to_be_visible()
    assert_fits(teen, "the adult client's own page")
    checks.check_page(teen, "the client's own page (18)")

    staff.goto(client_page)
    follow(staff, 'Start an agreement')
    staff.get_by_label('Consent to treatment').check()
    staff.get_by_label('The client consents on their own (no guardian signs)').check()
    checks.check_page(staff, "start the client's own consent")
    with staff.expect_navigation():
        staff.get_by_role('button', name='Start').click()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Consent to treatment')
    own_consent_url = staff.url
    with staff.expect_navigation():
        staff.get_by_role('button', name='Send for signature').click()
    checks.check_page(staff, "the client's own consent, sent")

    teen.reload()
    documents = teen.locator('#docs-h + ul li').filter(has_text='Waiting for your signature')
    expect(documents).to_have_count(1)
    with teen.expect_navigation():
        documents.get_by_role('link').click()
    assert_fits(teen, "the client's own consent")
    sign_online(teen, checks, 'Nova Firstweek', 'adult client')
    expect(teen.locator('.badge')).to_have_text('Active')

    staff.goto(own_consent_url)
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Active')
    checks.check_page(staff, "the client's own consent, active")

    # The guardians' access ended at majority: nothing of the client's is
    # theirs to read any more.
    parent.goto('/clients/%s/family' % client_id)
    expect(parent.get_by_text('working on calmer mornings')).to_have_count(0)
    assert_fits(parent, 'the child page after majority')
    checks.check_page(parent, 'the child page after majority (guardian)')
