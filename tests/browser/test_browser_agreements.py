"""Agreements in the browser: a new guardian's whole journey from the
email to an active consent, and a joint-custody family where both parents
must sign."""
import email
import os
import re
import time

import pypdf
import pytest
from playwright.sync_api import expect

import support

# One worker runs them all: they share one live server and one Chromium.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]


def newest_mail_to(address, since_ns):
    for name in sorted(os.listdir(support.MAIL_DIR), reverse=True):
        if int(name.split('-')[0]) < since_ns:
            break
        with open(os.path.join(support.MAIL_DIR, name), 'rb') as f:
            message = email.message_from_bytes(f.read())
        if address in message['To']:
            return message.get_payload(decode=True).decode('utf-8')
    raise AssertionError('no mail to %s' % address)


def test_new_guardian_from_the_email_link_to_an_active_consent(new_tab, ui):
    staff = new_tab()
    # therapist2: the browser tests share one server, and others count
    # therapist@demo.test's clients.
    ui.sign_in(staff, ui.ROLE_EMAILS['therapist_other'])
    staff.goto('/clients/')                    # the landing page is the to-do list
    staff.get_by_role('link', name='New client').click()
    staff.get_by_label('First name').fill('Juniper')
    staff.get_by_label('Last name').fill('Quill')
    staff.get_by_label('Date of birth').fill('2016-03-04')
    staff.get_by_role('button', name='Add Client').click()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Juniper Quill')
    staff.get_by_role('link', name='Link a guardian').click()
    staff.get_by_label('Guardian email address').fill('juniper.parent@demo.test')
    staff.get_by_label('Guardian name').fill('Robin Quill')
    staff.get_by_label('Holds legal authority to consent').check()
    staff.get_by_role('button', name='Link Guardian').click()
    staff.get_by_role('link', name='Start an agreement').click()
    ui.check_page(staff, 'start an agreement')
    staff.get_by_role('button', name='Start').click()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Consent to treatment')
    ui.check_page(staff, 'agreement (staff)')
    since = time.time_ns()
    staff.get_by_role('button', name='Send for signature').click()
    expect(staff.get_by_text('juniper.parent', exact=False)).to_have_count(0)  # no address shown
    body = newest_mail_to('juniper.parent@demo.test', since)
    assert 'Juniper' not in body and 'therap' not in body.lower()
    link = re.search(r'(/invite/\S+)', body).group(1)

    family = new_tab(viewport={'width': 360, 'height': 740})
    family.goto(link)
    expect(family.get_by_role('heading', level=1)).to_have_text('You have a document to review')
    ui.check_page(family, 'invitation')
    family.get_by_label('Choose a password').fill('a long family passphrase')
    family.get_by_label('The same password again').fill('a long family passphrase')
    family.get_by_role('button', name='Create My Account').click()
    expect(family.get_by_role('heading', level=1)).to_have_text('Consent to treatment')
    expect(family.locator('.agreement-text')).to_contain_text('risk of serious harm')
    # A first electronic signature: the disclosure about electronic
    # documents comes first, once.
    expect(family.get_by_role('heading', name='Before you sign electronically')).to_be_visible()
    ui.check_page(family, 'electronic documents disclosure')
    family.get_by_label('I have read this and I agree to receive and sign documents '
                        'electronically.').check()
    family.get_by_role('button', name=re.compile('^I agree$', re.I)).click()
    ui.check_page(family, 'document to sign')
    family.get_by_label('I agree to sign this document electronically.').check()
    family.get_by_label('Type your full name').fill('Robin Quill')
    family.get_by_label('I have read the text above and I intend to sign it.').check()
    family.get_by_role('button', name='Sign', exact=True).click()
    expect(family.get_by_text('Thank you. Your signature is recorded.')).to_be_visible()
    expect(family.locator('.badge:not(.warn)')).to_have_text('Active')
    ui.check_page(family, 'signed document')
    family.screenshot(path=str(ui.ARTIFACTS / 'guardian-signed-phone.png'), full_page=True)
    with family.expect_download() as download_info:
        family.get_by_role('link', name='Download your signed copy (PDF)').click()
    download = download_info.value
    assert download.suggested_filename == 'agreement.pdf'
    pdf_text = ''.join(p.extract_text() for p in pypdf.PdfReader(download.path()).pages)
    assert 'Robin Quill' in pdf_text and 'Certificate' in pdf_text

    staff.reload()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Active')
    expect(staff.get_by_role('cell', name='signed', exact=True)).to_have_count(1)
    expect(staff.get_by_role('cell', name='activated', exact=True)).to_have_count(1)
    # The link worked once.
    again = new_tab()
    again.goto(link)
    expect(again.get_by_role('heading', level=1)).to_have_text('This link has already been used')


def test_joint_custody_needs_the_second_parent(new_tab, ui):
    page = new_tab()
    ui.sign_in(page, 'coparent2@demo.test')
    page.get_by_role('link', name='Rowan').click()
    expect(page.get_by_text('Waiting for your signature')).to_be_visible()
    page.get_by_role('link', name='Consent to treatment').click()
    expect(page.locator('.badge')).to_have_text('Sent for signature')
    expect(page.get_by_text('Jamie Fairhaven')).to_be_visible()      # the first signature
    page.get_by_label('I have read this and I agree to receive and sign documents '
                      'electronically.').check()
    page.get_by_role('button', name=re.compile('^I agree$', re.I)).click()
    page.get_by_label('I agree to sign this document electronically.').check()
    page.get_by_label('Type your full name').fill('Alex Fairhaven')
    page.get_by_label('I have read the text above and I intend to sign it.').check()
    page.get_by_role('button', name='Sign', exact=True).click()
    expect(page.locator('.badge:not(.warn)')).to_have_text('Active')
    ui.check_page(page, 'joint custody signed')
