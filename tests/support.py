"""Constants and helpers shared by tests (fixtures live in conftest.py).

Tests import these with ``from support import ...``: several folders have a
``conftest.py`` of their own, so importing from ``conftest`` would be
ambiguous.
"""
import contextlib
import tempfile
import re
from types import SimpleNamespace

import transaction
from ZODB import DB
from webtest import TestApp

from minorconsent.scripts.seed import DEMO_PASSWORD, Seeder
from minorconsent.site import bootstrap_clinic

#: Planted in every field a guardian must never see.
MARKER = 'PRIVATE-MARKER-q7Zx'


ROLES = ('anonymous', 'admin', 'therapist', 'therapist_other', 'supervisor',
         'guardian', 'guardian_other', 'guardian_restricted', 'adolescent',
         'privacy_officer')


ROLE_EMAILS = {
    'admin': 'admin@demo.test',
    'therapist': 'therapist@demo.test',
    'therapist_other': 'therapist2@demo.test',
    'supervisor': 'supervisor@demo.test',
    'guardian': 'guardian@demo.test',
    'guardian_other': 'guardian2@demo.test',
    'guardian_restricted': 'restricted@demo.test',
    'adolescent': 'teen@demo.test',
    'privacy_officer': 'privacy@demo.test',
}


#: Development-style mail for tests: one .eml file per committed message.
MAIL_DIR = tempfile.mkdtemp(prefix='minorconsent-mail-')


def app_settings(**overrides):
    where = tempfile.mkdtemp(prefix='minorconsent-db-')
    settings = {
        # FileStorage with blobs (signed agreements keep their PDF as a blob).
        'zodbconn.uri': 'file://%s/Data.fs?blobstorage_dir=%s/blobs' % (where, where),
        'zodbconn.uri.audit': 'file://%s/Audit.fs' % where,
        # Tests seal buffered reads themselves (``flush_audit``).
        'minorconsent.audit.background': 'false',
        'minorconsent.mail_debug': MAIL_DIR,
        # Links in mail come from here, never from the request; WebTest's
        # requests go to http://localhost (tests/security/test_public_url.py).
        'minorconsent.public_url': 'http://localhost',
        'minorconsent.password_profile': 'cheapest',
        'retry.attempts': '3',
        # The suite signs in hundreds of times from one address; the
        # per-IP limits have their own tests (tests/security/test_rate_limits.py).
        'minorconsent.rate_limits': 'off',
    }
    settings.update(overrides)
    return settings


def multi_database(clinic_storage, audit_storage):
    """The clinic database and its audit database, as the app opens them."""
    databases = {}
    db = DB(clinic_storage, databases=databases, database_name='')
    DB(audit_storage, databases=databases, database_name='audit')
    return db, databases


@contextlib.contextmanager
def clinic_of(db, registry):
    """The clinic in ``db`` inside a transaction that commits on success,
    with ``registry`` current (as in a request: the engine reads the rooms'
    declarations from it)."""
    from pyramid.threadlocal import manager
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    manager.push({'registry': registry, 'request': None})
    try:
        yield bootstrap_clinic(conn.root(), registry)
        tm.commit()
    except BaseException:
        tm.abort()
        raise
    finally:
        manager.pop()
        conn.close()


def seed(db, registry, marker=MARKER):
    """Seed the named demo families; return the ids tests need."""
    with clinic_of(db, registry) as clinic:
        password_hash = registry.passwords.hash(DEMO_PASSWORD)
        Seeder(clinic, password_hash, marker, registry).named_families()
        users = clinic['users']
        ids = {role: users.find_by_email(email).__name__
               for role, email in ROLE_EMAILS.items()}
        mother = ids['guardian']
        mateo_id, lucia_id = sorted(
            clinic['clients'].index.children_of(mother),
            key=lambda cid: -clinic['clients'][cid].age())
        ava_id = clinic['clients'].index.children_of(ids['guardian_other'])[0]
        rowan_id = clinic['clients'].index.children_of(
            users.find_by_email('coparent1@demo.test').__name__)[0]
        noah_id = clinic['clients'].index.children_of(
            users.find_by_email('brennan@demo.test').__name__)[0]
        mateo = clinic['clients'][mateo_id]
        consent = [a for a in mateo['agreements'].values() if a.kind == 'consent'][0]
        in_review = [s for s in mateo['summaries'].values() if s.state == 'minor_review'][0]
        notice = [d for d in mateo['disclosures'].values()
                  if d.guardian_id == mother and d.state == 'recorded'][0]
        return SimpleNamespace(
            mateo_review_summary=in_review.__name__,
            mateo_notice=notice.__name__,
            mateo_consent=consent.__name__,
            user_ids=ids, mateo=mateo_id, lucia=lucia_id, ava=ava_id, rowan=rowan_id,
            noah=noah_id,
            mateo_goal=next(iter(mateo['goals'].keys())),
            stepparent=users.find_by_email('stepparent@demo.test').__name__)


def audit_entries(app):
    """Every sealed audit entry of ``app``'s current databases, oldest
    first, after sealing what the recorder has buffered."""
    from minorconsent.audit.chain import log_of
    app.registry.audit_recorder.flush()
    conn = app.registry._zodb_databases['audit'].open()
    try:
        log = log_of(conn.root(), create=False)
        return [log.get(seq) for seq in log.entries.keys()] if log is not None else []
    finally:
        conn.close()


def new_browser(app):
    return TestApp(app, extra_environ={'HTTP_HOST': 'localhost', 'REMOTE_ADDR': '192.0.2.10'})


def sign_in(app, email, password=DEMO_PASSWORD):
    """A fresh WebTest browser signed in as ``email``."""
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'] = email
    form['password'] = password
    res = form.submit()
    assert res.status_int == 302, 'sign-in failed for %s' % email
    return browser


def mails_since(since):
    """Every message written to the mail folder since ``since`` (time_ns)."""
    import email
    import os
    found = []
    for name in sorted(os.listdir(MAIL_DIR)):
        if int(name.split('-')[0]) >= since:
            with open(os.path.join(MAIL_DIR, name), 'rb') as f:
                found.append(email.message_from_bytes(f.read()))
    return found


def mail_text(message):
    """Subject and body, decoded from whatever charset the mailer chose."""
    from email.header import decode_header, make_header
    body = message.get_payload(decode=True).decode(message.get_content_charset() or 'utf-8')
    return str(make_header(decode_header(message['Subject']))) + '\n' + body


def radio(form):
    """deform names a radio group after its field id; find it by type."""
    return [name for name, fields in form.fields.items()
            if type(fields[0]).__name__ == 'Radio'][0]


def tick(form, *values):
    """Tick exactly the deform checkboxes (named 'checkbox') with these values."""
    for box in form.fields['checkbox']:
        box.checked = box._value in values


def csrf_of(res):
    """The CSRF token from the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', res.text)
    assert match, 'no CSRF token on the page'
    return match.group(1)


def committed(request, fn):
    """``fn(clinic, request)`` in one transaction of ``request``'s own
    manager: committed when it returns, aborted when it raises."""
    tm = request.tm
    tm.begin()
    try:
        result = fn(request.clinic, request)
        tm.commit()
        return result
    except BaseException:
        tm.abort()
        raise
