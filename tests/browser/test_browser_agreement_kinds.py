"""A kind of agreement the clinic defines, in the browser (issue 16, item
2): the admin adds it and is refused removing a built-in kind; a therapist
starts and sends it; a new guardian signs it from the email; the admin
saves a new version of its text; the therapist asks to sign the new
version.  Every page axe-clean."""
import email
import os
import re
import time

import pytest
from playwright.sync_api import expect

import support

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

TEXT = ('We may take photos or short recordings of play-based activities for '
        'supervision only. They are deleted after review.')
TEXT_ES = ('Podemos tomar fotos o grabaciones breves de actividades de juego solo '
           'para supervisión. Se borran después de revisarlas.')


def newest_mail_to(address, since_ns):
    for name in sorted(os.listdir(support.MAIL_DIR), reverse=True):
        if int(name.split('-')[0]) < since_ns:
            break
        with open(os.path.join(support.MAIL_DIR, name), 'rb') as f:
            message = email.message_from_bytes(f.read())
        if address in message['To']:
            return message.get_payload(decode=True).decode('utf-8')
    raise AssertionError('no mail to %s' % address)


def test_a_clinic_kind_from_the_admin_to_a_new_version(new_tab, ui):
    admin = new_tab()
    ui.sign_in(admin, ui.ROLE_EMAILS['admin'])
    admin.goto(ui.url + '/agreement-templates/')
    ui.check_page(admin, 'agreement texts')
    admin.get_by_role('link', name='Add a kind of agreement').click()
    ui.check_page(admin, 'add a kind')
    admin.get_by_label('Title', exact=True).fill('Photo and recording consent')
    admin.get_by_label('Title in Spanish').fill('Consentimiento de fotos y grabaciones')
    admin.get_by_label('Text', exact=True).fill(TEXT)
    admin.get_by_label('Text in Spanish').fill(TEXT_ES)
    admin.get_by_role('button', name=re.compile('add the kind', re.I)).click()
    expect(admin.get_by_role('heading', level=1)).to_contain_text('Photo and recording consent')
    ui.check_page(admin, 'the new kind\'s text')
    # A built-in kind stays: the reason next to the field.
    admin.goto(ui.url + '/agreement-templates/consent/kind')
    ui.check_page(admin, 'a built-in kind')
    admin.get_by_label('Stop offering this kind').check()
    admin.get_by_role('button', name=re.compile('^save$', re.I)).click()
    expect(admin.locator('.invalid-feedback')).to_contain_text('It cannot be removed.')
    ui.check_page(admin, 'a built-in kind refused')

    staff = new_tab()
    ui.sign_in(staff, ui.ROLE_EMAILS['therapist_other'])
    staff.goto('/clients/')                    # the landing page is the to-do list
    staff.get_by_role('link', name='New client').click()
    staff.get_by_label('First name').fill('Marlowe')
    staff.get_by_label('Last name').fill('Finch')
    staff.get_by_label('Date of birth').fill('2015-09-10')
    staff.get_by_role('button', name='Add Client').click()
    staff.get_by_role('link', name='Link a guardian').click()
    staff.get_by_label('Guardian email address').fill('marlowe.parent@demo.test')
    staff.get_by_label('Guardian name').fill('Sky Finch')
    staff.get_by_label('Holds legal authority to consent').check()
    staff.get_by_role('button', name='Link Guardian').click()
    staff.get_by_role('link', name='Start an agreement').click()
    staff.get_by_role('radio', name=re.compile('Photo and recording consent')).check()
    staff.get_by_role('button', name='Start').click()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Photo and recording consent')
    ui.check_page(staff, 'clinic kind (staff)')
    expect(staff.get_by_text('Needed: 1 guardian signature(s).')).to_be_visible()
    since = time.time_ns()
    staff.get_by_role('button', name='Send for signature').click()
    link = re.search(r'(/invite/\S+)', newest_mail_to('marlowe.parent@demo.test', since)).group(1)

    family = new_tab(viewport={'width': 360, 'height': 740})
    family.goto(link)
    family.get_by_label('Choose a password').fill('a long family passphrase')
    family.get_by_label('The same password again').fill('a long family passphrase')
    family.get_by_role('button', name='Create My Account').click()
    expect(family.get_by_role('heading', level=1)).to_have_text('Photo and recording consent')
    expect(family.locator('.agreement-text')).to_contain_text('supervision only')
    family.get_by_label('I have read this and I agree to receive and sign documents '
                        'electronically.').check()
    family.get_by_role('button', name=re.compile('^I agree$', re.I)).click()
    family.get_by_label('I agree to sign this document electronically.').check()
    family.get_by_label('Type your full name').fill('Sky Finch')
    family.get_by_label('I have read the text above and I intend to sign it.').check()
    family.get_by_role('button', name='Sign', exact=True).click()
    expect(family.locator('.badge:not(.warn)')).to_have_text('Active')
    ui.check_page(family, 'clinic kind signed')

    admin.goto(ui.url + '/agreement-templates/photo-and-recording-consent')
    admin.get_by_label('Text', exact=True).fill(TEXT + ' Nothing is shared outside the clinic.')
    admin.get_by_label('Text in Spanish').fill(TEXT_ES + ' Nada se comparte fuera.')
    admin.get_by_role('button', name=re.compile('save as a new version', re.I)).click()
    expect(admin.get_by_text('Version 2,')).to_be_visible()

    staff.reload()
    expect(staff.get_by_text('version 1 of 2')).to_be_visible()
    ui.check_page(staff, 'agreement on an old version')
    since = time.time_ns()
    staff.get_by_role('button', name='Ask to sign the new version').click()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('Sent for signature')
    ui.check_page(staff, 'the new version sent')
    assert '/invite/' in newest_mail_to('marlowe.parent@demo.test', since)
    staff.get_by_role('link', name='Back to the client record').click()
    expect(staff.get_by_text('the new version waits for signatures')).to_be_visible()
