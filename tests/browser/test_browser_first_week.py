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
import pypdf
import pytest
from playwright.sync_api import expect

import support
from minorconsent.scripts import init as init_script
from minorconsent.site.clock import utcnow
from test_browser_family import PHONE, _fits_width

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group('browser')]

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
    expect(agreement.locator('.badge')).to_have_text('Active')

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


def tiny_png():
    """A valid 1x1 PNG, made here."""
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
                + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n'
            + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\x00\xff\xff\xff'))
            + chunk(b'IEND', b''))


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


def turn_eighteen(clinic, client_id):
    """The injected date: the client's date of birth moves back to 18
    years ago today, in a transaction on the live server's database."""
    born = born_years_ago(18)
    with support.clinic_of(clinic.db, clinic.app.registry) as site:
        client = site['clients'][client_id]
        client.date_of_birth = born
        assert client.age() == 18


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
