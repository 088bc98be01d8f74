"""The fresh clinic of the first-week browser journeys
(``test_browser_first_week.py``): a clinic made by ``minorconsent-init``
and served by waitress on a free port, and the steps the journeys share
(signing in with a second factor, the therapist's set-up, adding a client,
linking a guardian, signing on a phone, reading the mailed links).
"""
import atexit
import datetime
import email
import os
import re
import socket
import struct
import threading
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import pyotp
import pytest
from playwright.sync_api import expect

import support
from minorconsent.scripts import init as init_script
from test_browser_family import _fits_width

ADMIN = 'admin@demo.test'
THERAPIST = 'first.therapist@demo.test'
GUARDIAN = 'first.parent@demo.test'
TEEN = 'first.teen@demo.test'
PAPER_GUARDIAN = 'paper.parent@demo.test'
ADMIN_PASSWORD = 'opening day keys of the new practice'
THERAPIST_PASSWORD = 'quiet room with a green lamp'
GUARDIAN_PASSWORD = 'a long family passphrase'
TEEN_PASSWORD = 'skateboard under the big oak'

INI = """\
[app:main]
use = egg:minorconsent
zodbconn.uri = file://{dir}/Data.fs?blobstorage_dir={dir}/blobs
zodbconn.uri.audit = file://{dir}/Audit.fs
minorconsent.mail_debug = {mail}
minorconsent.public_url = {url}
minorconsent.password_profile = cheapest
minorconsent.audit.background = true
retry.attempts = 3
"""


# --- the fresh clinic ---------------------------------------------------------

@pytest.fixture(scope='module')
def fresh_clinic(tmp_path_factory):
    """A clinic as ``minorconsent-init`` leaves it (one admin, nothing
    else), served by waitress from its own ini file on a free port; the
    ini's public URL is that server's, so mailed links lead back to it."""
    import waitress
    from pyramid.paster import get_app

    where = tmp_path_factory.mktemp('first-week')
    mail_dir = where / 'mail'
    mail_dir.mkdir()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', 0))
    listener.listen(64)
    url = 'http://127.0.0.1:%s' % listener.getsockname()[1]
    ini = where / 'clinic.ini'
    ini.write_text(INI.format(dir=where, mail=mail_dir, url=url))
    code = init_script.main([str(ini), '--email', ADMIN, '--password', ADMIN_PASSWORD])
    assert code == 0, 'minorconsent-init failed (%s)' % code

    app = get_app(str(ini))
    server = waitress.create_server(app, sockets=[listener], threads=4)
    thread = threading.Thread(target=server.run, name='waitress-first-week', daemon=True)
    thread.start()
    try:
        # therapist_secret: set by the first journey to run (therapist_tab).
        yield SimpleNamespace(url=url, app=app, mail_dir=mail_dir,
                              db=app.registry._zodb_databases[''],
                              therapist_secret=None, nova=None)
    finally:
        server.close()
        thread.join(timeout=5)
        # Seal the buffered reads now, as at exit, and not again at exit
        # (the databases are closed by then).
        recorder = app.registry.audit_recorder
        recorder.stop()
        atexit.unregister(recorder.stop)
        if recorder._thread is not None:     # its last round, woken by stop()
            recorder._thread.join(timeout=5)
        for db in app.registry._zodb_databases.values():
            db.close()


@pytest.fixture
def fresh_tab(tabs_on, fresh_clinic):
    """``fresh_tab(**context_options)``: a watched tab on the fresh clinic."""
    def make(**options):
        return tabs_on(fresh_clinic.url, **options)
    return make


def mail_to(clinic, address, since_ns):
    """The newest message to ``address`` written since ``since_ns``, as text."""
    for name in sorted(os.listdir(clinic.mail_dir), reverse=True):
        if int(name.split('-')[0]) < since_ns:
            break
        message = email.message_from_bytes((Path(clinic.mail_dir) / name).read_bytes())
        if address in message['To']:
            return support.mail_text(message)
    raise AssertionError('no mail to %s since the step began' % address)


def link_in(text, clinic, kind):
    """The path of the ``kind`` link (welcome, invite) in a mail's text,
    checked to point at the clinic's public URL."""
    match = re.search(r'%s(/%s/\S+)' % (re.escape(clinic.url), kind), text)
    assert match, 'no %s link to %s in the mail:\n%s' % (kind, clinic.url, text)
    return match.group(1)


def assert_fits(page, label):
    """No sideways scroll on the phone, once the page has loaded."""
    page.wait_for_load_state()
    assert _fits_width(page), '%s scrolls sideways at %d px (%s px wide)' % (
        label, page.viewport_size['width'],
        page.evaluate('document.documentElement.scrollWidth'))


def sign_in(page, email_address, password):
    page.goto('/login')
    form = page.locator('form#form')
    form.locator('input[name="email"]').fill(email_address)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.get_by_role('button', name='Sign in').click()



def follow(page, name):
    """Click the link named ``name`` and wait for the page it opens."""
    with page.expect_navigation():
        page.get_by_role('link', name=name, exact=True).click()


def born_years_ago(years):
    """A date of birth that makes a person ``years`` old today (at most a
    few days past the birthday: no 29 February)."""
    today = datetime.date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def path_of(page):
    return re.sub(r'^https?://[^/]+', '', page.url).split('?')[0]


def enrol_second_factor(page, checks, who):
    """The fresh clinic requires a second factor of staff: at the first
    sign-in the person sets up an authenticator app (pyotp plays it)."""
    assert path_of(page) == '/two-factor', (who, page.url)
    checks.check_page(page, 'second factor required (%s)' % who)
    start = page.get_by_role('button', name='Set up an authenticator app')
    if start.count():
        with page.expect_navigation():
            start.click()
    expect(page.get_by_role('img', name='QR code to scan with your authenticator app')
           ).to_be_visible()
    secret = page.locator('code.secret').inner_text().replace(' ', '')
    form = page.locator('form#confirm')
    form.get_by_label('Code shown in the app').fill(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        form.get_by_role('button', name='Turn on two-step sign-in').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Your recovery codes')
    checks.check_page(page, 'recovery codes (%s)' % who)
    return secret


def therapist_tab(clinic, fresh_tab, checks):
    """The therapist's tab, signed in.  The first journey to run plays the
    admin (second factor, a therapist account without a password) and the
    therapist setting it up from the mailed link; a later one signs in
    with the password and a code."""
    if clinic.therapist_secret is None:
        # The admin: a second factor, then a therapist without a password.
        admin = fresh_tab()
        sign_in(admin, ADMIN, ADMIN_PASSWORD)
        enrol_second_factor(admin, checks, 'admin')
        admin.goto('/users/add')
        expect(admin.get_by_role('heading', level=1)).to_have_text('New account')
        checks.check_page(admin, 'new account form')
        form = admin.locator('form#form')
        form.get_by_label('Full name').fill('Robin Firstweek')
        form.get_by_label('Email address').fill(THERAPIST)
        form.get_by_label('Therapist', exact=True).check()
        since = time.time_ns()
        with admin.expect_navigation():
            form.get_by_role('button', name='Create account').click()
        expect(admin.get_by_role('status')).to_contain_text(
            'The account is created. A link to choose a password is sent')
        checks.check_page(admin, 'accounts after adding the therapist')
        welcome = link_in(mail_to(clinic, THERAPIST, since), clinic, 'welcome')

        # The therapist sets the account up and signs in.
        staff = fresh_tab()
        staff.goto(welcome)
        expect(staff.get_by_role('heading', level=1)).to_have_text('Welcome')
        checks.check_page(staff, 'welcome page (therapist)')
        staff.get_by_label('Choose a password').fill(THERAPIST_PASSWORD)
        staff.get_by_label('The same password again').fill(THERAPIST_PASSWORD)
        with staff.expect_navigation():
            staff.get_by_role('button', name='Create my account').click()
        assert path_of(staff) == '/login', staff.url
        sign_in(staff, THERAPIST, THERAPIST_PASSWORD)
        clinic.therapist_secret = enrol_second_factor(staff, checks, 'therapist')
    else:
        staff = fresh_tab()
        sign_in(staff, THERAPIST, THERAPIST_PASSWORD)
        assert path_of(staff) == '/login-code', staff.url
        form = staff.locator('form#form')
        # The code of a later time step: the last one used is spent.
        form.get_by_label('Code').fill(pyotp.TOTP(clinic.therapist_secret).at(time.time() + 30))
        with staff.expect_navigation():
            form.get_by_role('button', name='Continue').click()
    staff.goto('/clients/')
    expect(staff.get_by_role('heading', level=1)).to_have_text('My clients')
    checks.check_page(staff, 'my clients')
    return staff


def add_client(staff, checks, first, last, born):
    """The therapist's 'New client' form; returns the new client's id."""
    staff.goto('/clients/')
    follow(staff, 'New client')
    checks.check_page(staff, 'new client form')
    staff.get_by_label('First name').fill(first)
    staff.get_by_label('Last name').fill(last)
    staff.get_by_label('Date of birth').fill(born.isoformat())
    with staff.expect_navigation():
        staff.get_by_role('button', name='Add Client').click()
    expect(staff.get_by_role('heading', level=1)).to_contain_text('%s %s' % (first, last))
    checks.check_page(staff, 'new client record')
    return re.search(r'/clients/([^/]+)/', staff.url).group(1)


def link_guardian(staff, checks, address, name):
    follow(staff, 'Link a guardian')
    checks.check_page(staff, 'link a guardian form')
    staff.get_by_label('Guardian email address').fill(address)
    staff.get_by_label('Guardian name').fill(name)
    staff.get_by_label('Holds legal authority to consent').check()
    with staff.expect_navigation():
        staff.get_by_role('button', name='Link Guardian').click()
    expect(staff.get_by_text(name)).not_to_have_count(0)
    checks.check_page(staff, 'client record with a guardian')


def sign_online(page, checks, name, who):
    """The family signing page, as a person on a phone fills it in (the
    electronic records disclosure first, where it is asked)."""
    disclosure = page.get_by_label('I have read this and I agree to receive and sign '
                                   'documents electronically.')
    if disclosure.count():
        disclosure.check()
        with page.expect_navigation():
            page.get_by_role('button', name=re.compile('^I agree$', re.I)).click()
    assert_fits(page, 'the signing page (%s)' % who)
    checks.check_page(page, 'signing page (%s)' % who)
    page.get_by_label('I agree to sign this document electronically.').check()
    page.get_by_label('Type your full name').fill(name)
    page.get_by_label('I have read the text above and I intend to sign it.').check()
    with page.expect_navigation():
        page.get_by_role('button', name='Sign', exact=True).click()
    expect(page.get_by_text('Thank you. Your signature is recorded.')).to_be_visible()
    assert_fits(page, 'the signed agreement (%s)' % who)
    checks.check_page(page, 'signed agreement (%s)' % who)


def tiny_png():
    """A valid 1x1 PNG, made here."""
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n'
            + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\x00\xff\xff\xff'))
            + chunk(b'IEND', b''))


def turn_eighteen(clinic, client_id):
    """The injected date: the client's date of birth moves back to 18
    years ago today, in a transaction on the live server's database."""
    born = born_years_ago(18)
    with support.clinic_of(clinic.db, clinic.app.registry) as site:
        client = site['clients'][client_id]
        client.date_of_birth = born
        assert client.age() == 18
