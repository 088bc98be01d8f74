"""The fuzz suite's machinery: worlds, form discovery, submission, checks.

See ``test_forms.py`` for the design (why a layered storage per example,
what counts as a change of state); this module holds the parts both fuzz
test modules share.

* A *world* is one role's signed-in browser over its own copy-on-write
  layer of the seeded clinic (and of the audit trail), together with what
  that role can reach: the pages found by crawling from its home page and
  every POST form on them, plus the POST views the authorization matrix
  knows about.
* ``example_layer`` puts one more ``DemoStorage`` on top of the world for a
  single hypothesis example, so an accepted (valid) mutation cannot leak
  into the next example, and everything the example wrote is exactly what
  that layer's ``changes`` storage holds.
"""
import contextlib
import copy
import dataclasses
import re
from datetime import datetime, timezone
from urllib.parse import urlencode, urljoin, urlsplit

from bs4 import BeautifulSoup
from webob import Request
from webtest.forms import Upload
from ZODB.DemoStorage import DemoStorage
from ZODB.POSException import POSKeyError
from ZODB.serialize import referencesf

from support import ROLE_EMAILS, clinic_of, multi_database, new_browser, sign_in
from test_authorization_matrix import TABLE, target_path

#: The body of the catch-all error page (``site/views.py:server_error``),
#: in both languages the portal speaks.
ERROR_PAGE_TEXTS = ('Something went wrong', 'Nothing was saved. Please try again',
                    'Algo salió mal')

#: Links not worth fetching while crawling: downloads (PDF, CSV, FHIR JSON)
#: are not HTML and carry no forms; they are fetched as URLs by the URL fuzz.
DOWNLOAD = re.compile(r'\.(pdf|csv|json)$')


#: What a person types into an empty field, so that the untouched
#: submission is usually valid and each mutation is what gets it rejected.
PLAUSIBLE = {'text': 'fuzzvalue', 'textarea': 'Fuzz text.', 'date': '2024-05-06',
             'email': 'fuzz-person@demo.test', 'number': '3', 'search': 'a',
             'password': 'demo-password-1', 'tel': '555-0100'}


@dataclasses.dataclass(frozen=True)
class Field:
    """One control of a form, as a browser sees it."""
    name: str
    kind: str                  # input type, 'select', 'textarea' or 'button'
    value: str = ''
    options: tuple = ()        # select options / the value of a radio or checkbox
    on: bool = True            # checked (radio, checkbox) / included by default


@dataclasses.dataclass(frozen=True)
class FormSpec:
    role: str
    page: str                  # where the form was found ('' for matrix views)
    action: str                # path (with query) the form posts to
    fields: tuple              # Field, in document order (peppercorn needs it)
    multipart: bool = False
    origin: str = 'crawl'      # 'crawl' or 'matrix'

    @property
    def view_name(self):
        path = urlsplit(self.action).path
        return path.rstrip('/').rsplit('/', 1)[-1] if not path.endswith('/') else '@index'

    @property
    def shape(self):
        """Forms of one view that differ only by the record they are on
        (Mateo's goal form, Lucia's goal form) have one shape."""
        return (self.view_name, tuple((f.name, f.kind) for f in self.fields
                                      if f.name != 'csrf_token'))

    def baseline(self):
        """``(name, value)`` pairs as a browser would send them untouched,
        with the first submit button as the one pressed."""
        pairs, pressed = [], False
        # A radio group or checkbox group with nothing ticked: a person
        # ticks the first (deform groups checkboxes in one sequence).
        groups = [(f.kind, f.name) for f in self.fields if f.kind in ('radio', 'checkbox')]
        ticked = {(f.kind, f.name) for f in self.fields if f.kind in ('radio', 'checkbox') and f.on}
        many = {g for g in groups if groups.count(g) > 1 or g[0] == 'radio'}
        for f in self.fields:
            if (f.kind, f.name) in many and (f.kind, f.name) not in ticked:
                ticked.add((f.kind, f.name))
                pairs.append((f.name, f.value))
            elif f.kind == 'button':
                if not pressed and f.name:
                    pairs.append((f.name, f.value))
                    pressed = True
            elif f.kind in ('checkbox', 'radio'):
                if f.on:
                    pairs.append((f.name, f.value))
            elif f.kind == 'select':
                chosen = (f.value.split('\0') if f.value else
                          [o for o in f.options if o][:1] or [''])
                pairs.extend((f.name, v) for v in chosen)
            elif f.kind == 'file':
                pairs.append((f.name, Upload('upload.toml', b'', 'text/plain')))
            elif not f.value and f.kind in PLAUSIBLE:
                pairs.append((f.name, PLAUSIBLE[f.kind]))
            else:
                pairs.append((f.name, f.value))
        return pairs


def forms_on(page_path, html, role):
    """Every ``<form method=post>`` of a page."""
    soup = BeautifulSoup(html, 'html.parser')
    found = []
    for form in soup.find_all('form'):
        if (form.get('method') or 'get').lower() != 'post':
            continue
        url = urlsplit(urljoin('http://localhost' + page_path, form.get('action') or page_path))
        if url.netloc not in ('', 'localhost'):
            continue
        action = url.path + ('?' + url.query if url.query else '')
        fields = []
        for el in form.find_all(['input', 'select', 'textarea', 'button']):
            name = el.get('name') or ''
            if el.name == 'select':
                options = tuple(o.get('value', o.get_text()) for o in el.find_all('option'))
                chosen = [o.get('value', o.get_text()) for o in el.find_all('option')
                          if o.has_attr('selected')]
                fields.append(Field(name, 'select', '\0'.join(chosen), options))
            elif el.name == 'textarea':
                fields.append(Field(name, 'textarea', el.get_text()))
            elif el.name == 'button':
                if (el.get('type') or 'submit').lower() == 'submit':
                    fields.append(Field(name, 'button', el.get('value', '')))
            else:
                kind = (el.get('type') or 'text').lower()
                if kind in ('checkbox', 'radio'):
                    fields.append(Field(name, kind, el.get('value', 'on'),
                                        (el.get('value', 'on'),), el.has_attr('checked')))
                elif kind in ('submit', 'image'):
                    fields.append(Field(name, 'button', el.get('value', '')))
                elif kind not in ('reset',) and name:
                    fields.append(Field(name, kind, el.get('value', '')))
        found.append(FormSpec(role, page_path, action, tuple(fields),
                              multipart='multipart' in (form.get('enctype') or '')))
    return found


def crawl(browser, start='/', limit=80):
    """Pages reachable by GET links from ``start`` (same site, query kept,
    downloads and sign-out skipped, at most ``limit``): ``{path: response}``."""
    seen, queue = {}, [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or '/logout' in path or DOWNLOAD.search(urlsplit(path).path):
            continue
        res = browser.get(path, expect_errors=True)
        seen[path] = res
        if res.status_int in (301, 302, 303):
            url = urlsplit(res.location)
            queue.append(url.path + ('?' + url.query if url.query else ''))
            continue
        if 'html' not in res.content_type:
            continue
        for href in re.findall(r'href="([^"#]+)', res.text):
            url = urlsplit(urljoin('http://localhost' + path, href.replace('&amp;', '&')))
            if url.scheme not in ('http', 'https') or url.netloc != 'localhost':
                continue
            if url.path.startswith('/static'):
                continue
            queue.append(url.path + ('?' + url.query if url.query else ''))
    return seen


def matrix_forms(role, demo, csrf, covered):
    """A bare POST (CSRF token only) to every view of the authorization
    matrix that the crawl did not find a form for: views this role cannot
    reach are fuzzed too (they must answer 404/302 and change nothing)."""
    found = []
    for (context, name, method) in sorted(TABLE):
        action = target_path(demo, context) + name
        if action in covered:
            continue
        found.append(FormSpec(role, '', action,
                              (Field('csrf_token', 'hidden', csrf),), origin='matrix'))
    return found


@dataclasses.dataclass
class World:
    role: str
    app: object
    demo: object
    browser: object
    databases: dict            # the world's own layer, kept open for the session
    pages: dict                # crawled path -> status
    forms: list                # FormSpec, one per shape
    protected: frozenset       # oids a rejected request may still write (see test_forms)
    session_oid: object
    csrf: str

    def fresh_browser(self):
        """A browser with this world's cookies (a sign-out or a cookie a
        response sets must not reach the next example)."""
        browser = new_browser(self.app)
        for cookie in self.browser.cookiejar:
            browser.cookiejar.set_cookie(copy.copy(cookie))
        return browser


def _reachable(storage, start_oids):
    """Every oid reachable from ``start_oids`` by persistent references."""
    seen, todo = set(), list(start_oids)
    while todo:
        oid = todo.pop()
        if oid in seen:
            continue
        seen.add(oid)
        try:
            data, _ = storage.load(oid)
        except POSKeyError:
            continue
        todo.extend(referencesf(data))
    return seen


@contextlib.contextmanager
def _registry_databases(app, databases):
    saved = app.registry._zodb_databases
    app.registry._zodb_databases = databases
    app.registry.audit_recorder.buffer.clear()
    try:
        yield
    finally:
        app.registry.audit_recorder.buffer.clear()
        app.registry._zodb_databases = saved


def build_world(base_app, role, crawl_limit=80):
    app, (base, audit_base), demo = base_app
    db, databases = multi_database(DemoStorage(base=base, close_base_on_close=False),
                                   DemoStorage(base=audit_base, close_base_on_close=False))
    with _registry_databases(app, databases):
        browser = new_browser(app) if role == 'anonymous' else sign_in(app, ROLE_EMAILS[role])
        pages = crawl(browser, '/', crawl_limit)
        forms, shapes = [], set()
        for path, res in pages.items():
            if res.status_int == 200 and 'html' in res.content_type:
                for form in forms_on(path, res.text, role):
                    if form.shape not in shapes:
                        shapes.add(form.shape)
                        forms.append(form)
        csrf_page = browser.get('/login' if role == 'anonymous' else '/password')
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', csrf_page.text).group(1)
        forms += matrix_forms(role, demo, csrf, {f.action for f in forms})
        app.registry.audit_recorder.flush()
        with clinic_of(db, app.registry) as clinic:
            protected = _reachable(db.storage, [clinic.sign_in_throttle._p_oid])
            session_oid = None
            if role != 'anonymous':
                uid = demo.user_ids[role]
                (key,) = list(clinic.sessions._by_user[uid])
                session_oid = clinic.sessions._by_key[key]._p_oid
    return World(role, app, demo, browser, databases,
                 {p: r.status_int for p, r in pages.items()}, forms,
                 frozenset(protected), session_oid, csrf)


@contextlib.contextmanager
def example_layer(world, prepare=None):
    """One more copy-on-write layer over ``world`` for one example.

    Yields a function returning the oids that existed before the layer and
    were written since the mark (the session's fresh touch is committed
    before the mark, so a read within the next minute writes nothing).
    ``prepare(clinic)``, if given, runs in that same transaction, before
    the mark: what it writes (an admin publishing a workflow version) is
    the example's starting point, not something a request wrote."""
    clinic_storage = DemoStorage(base=world.databases[''].storage, close_base_on_close=False)
    audit_storage = DemoStorage(base=world.databases['audit'].storage,
                                close_base_on_close=False)
    db, databases = multi_database(clinic_storage, audit_storage)
    try:
        with _registry_databases(world.app, databases):
            if world.role != 'anonymous' or prepare is not None:
                with clinic_of(db, world.app.registry) as clinic:
                    if prepare is not None:
                        prepare(clinic)
                    if world.role != 'anonymous':
                        uid = world.demo.user_ids[world.role]
                        for key in clinic.sessions._by_user[uid]:
                            clinic.sessions._by_key[key].last_seen = datetime.now(timezone.utc)
            mark = clinic_storage.lastTransaction()

            def written_since_mark():
                written = set()
                for txn in clinic_storage.changes.iterator():
                    if txn.tid > mark:
                        written.update(record.oid for record in txn)
                return {oid for oid in written if _existed(clinic_storage.base, oid)}
            yield written_since_mark
    finally:
        for each in databases.values():
            each.close()


def _existed(storage, oid):
    try:
        storage.load(oid)
    except POSKeyError:
        return False
    return True


def class_names(world, oids):
    """For messages: the class of each written object."""
    storage = world.databases[''].storage
    names = []
    for oid in sorted(oids):
        data, _ = storage.load(oid)
        names.append(data[:120].split(b'\n', 1)[0].decode('latin-1', 'replace'))
    return names


def is_error_page(res):
    text = res.body.decode('utf-8', 'replace') if 'html' in (res.content_type or '') else ''
    return res.status_int >= 500 or any(t in text for t in ERROR_PAGE_TEXTS)


def raw_request(world, method, path, form=None):
    """One request straight to the WSGI app with the world's cookies.

    Not through WebTest: its cookie jar rebuilds the URL by decoding the
    path as UTF-8 and fails on ``%ff`` before the app sees the request,
    which a real browser and waitress do not."""
    cookies = '; '.join('%s=%s' % (c.name, c.value) for c in world.browser.cookiejar)
    req = Request.blank(path, environ={'HTTP_HOST': 'localhost', 'REMOTE_ADDR': '192.0.2.10',
                                       'REQUEST_METHOD': method, 'HTTP_COOKIE': cookies})
    if form is not None:
        req.content_type = 'application/x-www-form-urlencoded'
        req.body = urlencode(form).encode('ascii')
    return req.get_response(world.app)
