"""Shared fixtures.

One configured app serves the whole session (configuring Pyramid is the
slow part).  The demo clinic is seeded once into a base storage; each test
gets a fresh ``DemoStorage`` layered over it, so tests can write freely and
never see each other's changes.
"""
import contextlib
import re
from types import SimpleNamespace

import pytest
import transaction
from ZODB import DB
from ZODB.DemoStorage import DemoStorage
from ZODB.MappingStorage import MappingStorage
from webtest import TestApp

from minorconsent import main
from minorconsent.scripts.seed import DEMO_PASSWORD, Seeder
from minorconsent.site import bootstrap_clinic

#: Planted in every field a guardian must never see.
MARKER = 'PRIVATE-MARKER-q7Zx'

ROLES = ('anonymous', 'admin', 'therapist', 'therapist_other', 'supervisor',
         'guardian', 'guardian_other', 'guardian_restricted', 'adolescent')

ROLE_EMAILS = {
    'admin': 'admin@demo.test',
    'therapist': 'therapist@demo.test',
    'therapist_other': 'therapist2@demo.test',
    'supervisor': 'supervisor@demo.test',
    'guardian': 'guardian@demo.test',
    'guardian_other': 'guardian2@demo.test',
    'guardian_restricted': 'restricted@demo.test',
    'adolescent': 'teen@demo.test',
}


def app_settings(**overrides):
    settings = {
        'zodbconn.uri': 'memory://',
        'minorconsent.password_profile': 'cheapest',
        'retry.attempts': '3',
    }
    settings.update(overrides)
    return settings


@contextlib.contextmanager
def clinic_of(db, registry):
    """The clinic in ``db`` inside a transaction that commits on success."""
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        yield bootstrap_clinic(conn.root(), registry)
        tm.commit()
    except BaseException:
        tm.abort()
        raise
    finally:
        conn.close()


def seed(db, registry, marker=MARKER):
    """Seed the named demo families; return the ids tests need."""
    with clinic_of(db, registry) as clinic:
        password_hash = registry.passwords.hash(DEMO_PASSWORD)
        Seeder(clinic, password_hash, marker).named_families()
        users = clinic['users']
        ids = {role: users.find_by_email(email).__name__
               for role, email in ROLE_EMAILS.items()}
        mother = ids['guardian']
        mateo_id, lucia_id = sorted(
            clinic['clients'].index.children_of(mother),
            key=lambda cid: -clinic['clients'][cid].age())
        ava_id = clinic['clients'].index.children_of(ids['guardian_other'])[0]
        mateo = clinic['clients'][mateo_id]
        return SimpleNamespace(
            user_ids=ids, mateo=mateo_id, lucia=lucia_id, ava=ava_id,
            mateo_goal=next(iter(mateo['goals'].keys())),
            stepparent=users.find_by_email('stepparent@demo.test').__name__)


@pytest.fixture(scope='session')
def base_app():
    app = main({}, **app_settings())
    base = MappingStorage()
    demo = seed(DB(base), app.registry)
    return app, base, demo


@pytest.fixture
def app(base_app):
    """The app over a private copy-on-write view of the seeded clinic."""
    wsgi, base, demo = base_app
    db = DB(DemoStorage(base=base, close_base_on_close=False))
    saved = wsgi.registry._zodb_databases['']
    wsgi.registry._zodb_databases[''] = db
    wsgi.db = db
    wsgi.demo = demo
    yield wsgi
    wsgi.registry._zodb_databases[''] = saved
    db.close()


@pytest.fixture
def demo(app):
    return app.demo


@contextlib.contextmanager
def _clinic(app):
    with clinic_of(app.db, app.registry) as clinic:
        yield clinic


@pytest.fixture
def clinic(app):
    """``with clinic() as c:`` opens the test's clinic in a transaction."""
    return lambda: _clinic(app)


def new_browser(app):
    return TestApp(app, extra_environ={'HTTP_HOST': 'localhost'})


def sign_in(app, email, password=DEMO_PASSWORD):
    """A fresh WebTest browser signed in as ``email``."""
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'] = email
    form['password'] = password
    res = form.submit()
    assert res.status_int == 302, 'sign-in failed for %s' % email
    return browser


@pytest.fixture
def browser_as(app):
    """``browser_as('therapist')``: a WebTest browser for a matrix role."""
    def make(role):
        if role == 'anonymous':
            return new_browser(app)
        return sign_in(app, ROLE_EMAILS[role])
    return make


def csrf_of(res):
    """The CSRF token from the first form of a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', res.text)
    assert match, 'no CSRF token on the page'
    return match.group(1)
