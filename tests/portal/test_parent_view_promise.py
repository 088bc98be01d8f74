"""The promise: a guardian never sees session content, private notes,
diagnoses, internal comments or another family's data.

The demo clinic is seeded with MARKER in every field a guardian must never
see.  These tests crawl everything each family member can reach, and try
every client URL of every family, looking for it.
"""
import dataclasses
import re
from datetime import date, datetime
from urllib.parse import urljoin, urlparse

import persistent
import pytest
from pyramid.events import BeforeRender

from support import MARKER, ROLE_EMAILS, csrf_of, new_browser, sign_in
from minorconsent.disclosures.model import SafetyNotice
from minorconsent.portal.parentview import ParentChildView, parent_view
from test_authorization_matrix import STEP, STEP_EMAIL, TABLE

#: ``STEP`` is the step-parent linked to Mateo without legal authority.
FAMILY = ('guardian', 'guardian_other', 'guardian_restricted', 'adolescent', STEP)


def readable(res):
    """What a person can read in a response: HTML as text, PDFs through a
    PDF reader (their text is compressed, so a byte search is blind)."""
    if res.content_type == 'application/pdf':
        import io
        import pypdf
        return ''.join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(res.body)).pages)
    return res.body.decode('utf-8', 'replace')


def crawl(browser, start='/', limit=200):
    """Every page reachable by GET links from ``start``; ``{path: response}``."""
    seen, queue = {}, [start]
    while queue and len(seen) < limit:
        path = queue.pop()
        if path in seen or '/logout' in path:
            continue
        res = browser.get(path, expect_errors=True)
        seen[path] = res
        if res.status_int in (301, 302, 303):
            queue.append(urlparse(res.location).path)
            continue
        if 'html' not in res.content_type:
            continue
        for href in re.findall(r'href="([^"]+)"', res.text):
            url = urlparse(urljoin('http://localhost' + path, href))
            if url.scheme in ('mailto', 'tel'):
                continue
            if url.netloc in ('', 'localhost') and not url.path.startswith('/static'):
                queue.append(url.path)
    return seen


def every_family_client_url(demo):
    clients = (demo.mateo, demo.lucia, demo.ava)
    names = sorted({name for (context, name, method) in TABLE if context == 'Client'})
    for cid in clients:
        for name in names:
            yield '/clients/%s/%s' % (cid, name)
        yield '/clients/%s/goals/%s/edit' % (cid, demo.mateo_goal)
        yield '/clients/%s/notes/' % cid
    with_summaries = '/clients/%s/summaries/' % demo.mateo
    for name in ('', 'review', 'preview', 'step'):
        yield with_summaries + '%s/%s' % (demo.mateo_review_summary, name)


@pytest.mark.parametrize('role', FAMILY)
def test_marker_is_nowhere_a_family_member_can_reach(app, clinic, demo, role):
    # The adolescent reviews the summary in client review: its text (which
    # no guardian may see, so it carries the marker) is theirs to read.
    allowed = []
    if role == 'adolescent':
        with clinic() as c:
            allowed.append(c['clients'][demo.mateo]['summaries'][demo.mateo_review_summary]
                           .parent_text)
    browser = sign_in(app, STEP_EMAIL if role == STEP else ROLE_EMAILS[role])
    pages = crawl(browser)
    assert len(pages) >= 3
    for path in every_family_client_url(demo):
        pages[path] = browser.get(path, expect_errors=True)
    for path, res in pages.items():
        text = readable(res)
        for shown in allowed:
            text = text.replace(shown, '')
        assert MARKER not in text, path
        assert MARKER not in str(res.headerlist), path
    if role == 'guardian':
        assert any(res.content_type == 'application/pdf' for res in pages.values())


def test_the_crawl_does_find_the_marker_for_the_therapist(app, demo):
    """The crawler is not blind: for staff, the marker is right there."""
    pages = crawl(sign_in(app, ROLE_EMAILS['therapist']))
    assert any(MARKER in readable(res) for res in pages.values())


def test_guardian_sees_only_their_own_children(app, demo):
    browser = sign_in(app, ROLE_EMAILS['guardian'])
    family = browser.get('/family')
    # The words on the page (random tokens in the HTML may hold "Ava").
    words = set(re.findall(r'\w+', family.html.get_text()))
    assert {'Mateo', 'Lucia'} <= words
    assert 'Ava' not in words and demo.ava not in family.text
    assert 'Mateo Alvarez' not in family.text   # children by first name only
    assert browser.get('/clients/%s/family' % demo.ava, expect_errors=True).status_int == 404


def test_restricted_and_non_authority_guardians_see_no_child(app, demo):
    for email in (ROLE_EMAILS['guardian_restricted'], 'stepparent@demo.test'):
        browser = sign_in(app, email)
        assert 'Mateo' not in re.findall(r'\w+', browser.get('/family').html.get_text())
        assert browser.get('/clients/%s/family' % demo.mateo,
                           expect_errors=True).status_int == 404


def test_guardian_access_ends_at_majority(app, clinic, demo):
    browser = sign_in(app, ROLE_EMAILS['guardian'])
    with clinic() as c:
        c.settings.age_of_majority = 15   # Mateo is 15
    assert browser.get('/clients/%s/family' % demo.mateo, expect_errors=True).status_int == 404
    assert browser.get('/clients/%s/family' % demo.lucia).status_int == 200


def test_parent_view_is_a_frozen_whitelist():
    """Adding a field to what guardians see must be a deliberate edit here."""
    assert [f.name for f in dataclasses.fields(ParentChildView)] == [
        'ref', 'name', 'agreements', 'summaries', 'goals', 'notices', 'clinic']
    # Of a disclosure, a guardian gets the day and the words told to them.
    assert [f.name for f in dataclasses.fields(SafetyNotice)] == ['told_on', 'text']
    view = ParentChildView(ref='x', name='y')
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.name = 'z'


def test_parent_view_carries_no_private_text(app, clinic, demo):
    with clinic() as c:
        for cid in (demo.mateo, demo.lucia):
            view = parent_view(c['clients'][cid], demo.user_ids['guardian'], c.settings)
            assert view is not None
            assert MARKER not in repr(view)
        assert parent_view(c['clients'][demo.ava], demo.user_ids['guardian'], c.settings) is None


#: Modules whose frozen dataclasses are the guardian's whitelist: the parent
#: view and the signed-agreement projection beside it.
PARENT_VIEW_MODULES = ('minorconsent.portal.parentview', 'minorconsent.agreements.agreement_record')


def parent_view_types():
    """Every whitelist type a guardian-facing renderer may receive: the
    dataclasses of the parent-view modules, and the two whitelists other
    rooms build for it (a safety notice's day and words, an accounting
    line)."""
    import importlib
    from minorconsent.audit.accounting import AccessView
    found = {SafetyNotice, AccessView}
    for name in PARENT_VIEW_MODULES:
        module = importlib.import_module(name)
        found |= {value for value in vars(module).values()
                  if isinstance(value, type) and dataclasses.is_dataclass(value)
                  and value.__module__ == name}
    return found


PLAIN = (str, int, float, bool, type(None), date, datetime, bytes)


def allowed_helper(key, value):
    """Explicitly allowed non-data values: macros, the translate function."""
    from functools import partial
    from chameleon.zpt.template import Macro, Macros
    from minorconsent.site.i18n import translate
    if key in ('layout', 'summary_macros', 'esign_macros'):
        from pyramid_chameleon.zpt import PyramidPageTemplateFile
        return isinstance(value, (Macros, Macro, PyramidPageTemplateFile))
    if key == 'chrome':
        # The layout's pieces for a Chameleon page (site/chrome.py): text
        # rendered from this same namespace, which this test checks; no
        # attribute of it leads to the app (the registry, a request, a
        # persistent object).
        from persistent import Persistent
        from pyramid.registry import Registry
        from pyramid.request import Request
        from minorconsent.site.chrome import Chrome
        return type(value) is Chrome and not any(
            isinstance(getattr(value, name), (Registry, Request, Persistent))
            for name in Chrome.__slots__)
    if key == 't':
        if isinstance(value, partial):
            return value.func is translate
        code = getattr(value, '__code__', None)
        return code is not None and code.co_filename.endswith('minorconsent/site/views.py')
    if key in ('on', 'at'):
        # The date formatters (site/dates.py for_request): a value in, a
        # string out, nothing of the clinic reachable from the template.
        code = getattr(value, '__code__', None)
        return code is not None and code.co_filename.endswith('minorconsent/site/dates.py')
    return False


def not_whitelisted(value, where='', types=None, depth=0):
    """The paths of every value under ``value`` that is neither a parent-view
    type nor a plain value (recursively through tuples, lists, dicts and
    dataclass fields)."""
    types = parent_view_types() if types is None else types
    if isinstance(value, PLAIN):
        return []
    if depth > 12:
        return [where + ' (too deep)']
    if isinstance(value, (tuple, list, frozenset, set)):
        return [bad for i, v in enumerate(value)
                for bad in not_whitelisted(v, '%s[%d]' % (where, i), types, depth + 1)]
    if isinstance(value, dict):
        return [bad for k, v in value.items()
                for bad in (not_whitelisted(k, '%s key' % where, types, depth + 1) +
                            not_whitelisted(v, '%s[%r]' % (where, k), types, depth + 1))]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value) not in types or not type(value).__dataclass_params__.frozen:
            return ['%s: %s' % (where, type(value).__qualname__)]
        return [bad for f in dataclasses.fields(value)
                for bad in not_whitelisted(getattr(value, f.name), '%s.%s' % (where, f.name),
                                           types, depth + 1)]
    return ['%s: %s' % (where, type(value).__qualname__)]


def namespace_problems(namespace):
    return [bad for key, value in namespace.items() if not allowed_helper(key, value)
            for bad in not_whitelisted(value, key)]


def test_the_whitelist_check_is_not_blind(app, clinic, demo):
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        view = parent_view(mateo, demo.user_ids['guardian'], c.settings)
        assert namespace_problems({'child': view, 'n': 3, 'when': date.today()}) == []
        assert namespace_problems({'child': (view, [mateo])}) == ['child[1][0]: Client']
        assert namespace_problems({'x': {'k': object()}}) == ["x['k']: object"]
        assert namespace_problems({'t': lambda text: text}) != []     # not the translate helper
        assert namespace_problems({'on': lambda value: value}) != []  # not the date formatter
        from minorconsent.agreements.model import AgreementEvent
        event = next(iter(mateo['agreements'][demo.mateo_consent].event_list()))
        assert isinstance(event, AgreementEvent)
        assert namespace_problems({'e': event}) == ['e: AgreementEvent']   # frozen, not ours


#: Every template a guardian or adolescent sees.
FAMILY_TEMPLATES = {'templates/family.jinja2', 'templates/child.jinja2', 'templates/teen.jinja2',
                    'templates/agreement.pt', 'templates/summary_page.jinja2',
                    'templates/access.pt', 'templates/review.pt', 'templates/invite.pt'}


def test_every_guardian_facing_renderer_receives_only_whitelisted_values(
        app, clinic, demo, monkeypatch):
    """By construction: every portal template's whole namespace, the
    summary PDF's and the signed-agreement PDF's arguments, and every
    email a guardian receives (new summary, invitation, password reset)
    hold parent-view types, plain values and the allowed helpers only."""
    import minorconsent.site.mail as mail
    from minorconsent.agreements import pdf as agreement_pdf
    from minorconsent.portal import summary_pdf
    captured, pdfs, mails = [], [], []
    family_request = [True]     # off while staff act (their templates share names)

    def record(event):
        if family_request[0]:
            captured.append(dict(event, **(event.rendering_val or {})))

    def recording(name, original):
        def wrapper(*args, **kwargs):
            pdfs.append((name, args, kwargs))
            return original(*args, **kwargs)
        return wrapper
    monkeypatch.setattr(summary_pdf, 'render', recording('summary', summary_pdf.render))
    monkeypatch.setattr(agreement_pdf, 'render', recording('agreement', agreement_pdf.render))
    original_send = mail.send

    def send(request, recipient, subject, body, address=None):
        # The account only routes the message (the one email rule decides
        # on it); what the message carries is what must be whitelisted.
        mails.append((address or getattr(recipient, 'email', recipient), subject, body))
        return original_send(request, recipient, subject, body, address=address)
    # Each room imported ``send`` by name: replace it wherever it is.
    import sys
    for module in list(sys.modules.values()):
        if getattr(module, 'send', None) is original_send and \
                getattr(module, '__name__', '').startswith('minorconsent'):
            monkeypatch.setattr(module, 'send', send)

    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        published = [s.__name__ for s in mateo['summaries'].values() if s.state == 'published']
        (ava_consent,) = [a.__name__ for a in c['clients'][demo.ava]['agreements'].values()
                          if a.state == 'sent']
    app.registry.registerHandler(record, (BeforeRender,))
    try:
        mother = sign_in(app, ROLE_EMAILS['guardian'])
        mateo_path = '/clients/%s/' % demo.mateo
        mother.get('/family')
        mother.get(mateo_path + 'family')
        mother.get(mateo_path + 'access')
        mother.get(mateo_path + 'agreements/%s/family' % demo.mateo_consent)
        mother.get(mateo_path + 'agreements/%s/signed.pdf' % demo.mateo_consent)
        mother.get(mateo_path + 'summaries/%s/family' % published[0])
        mother.get(mateo_path + 'summaries/%s/summary.pdf' % published[0])
        teen = sign_in(app, ROLE_EMAILS['adolescent'])
        teen.get(mateo_path + 'mine')
        teen.get(mateo_path + 'summaries/%s/review' % demo.mateo_review_summary)
        # Emails: a new summary, an invitation, a password reset.
        family_request[0] = False
        therapist = sign_in(app, ROLE_EMAILS['therapist'])
        form = therapist.get(mateo_path + 'add-summary').forms['form']
        form['period'], form['parent_text'] = 'Winter', 'A good winter.'
        page = form.submit().follow()
        therapist.post(page.request.path + 'step', {'csrf_token': csrf_of(page),
                                                    'step': 'publish'}, status=302)
        other = sign_in(app, ROLE_EMAILS['therapist_other'])
        agreement = '/clients/%s/agreements/%s/' % (demo.ava, ava_consent)
        other.post(agreement + 'invitations', {'csrf_token': csrf_of(other.get(agreement))},
                   status=302)
        link = re.search(r'http://localhost(/invite/\S+)', mails[-1][2]).group(1)
        family_request[0] = True
        new_browser(app).get(link)                                     # the invitation page
        anonymous = new_browser(app)
        form = anonymous.get('/forgot-password').forms['form']
        form['email'] = ROLE_EMAILS['guardian']
        form.submit(status=302)
    finally:
        app.registry.unregisterHandler(record, (BeforeRender,))
    family_pages = [v for v in captured if v.get('renderer_name') in FAMILY_TEMPLATES]
    assert {v['renderer_name'] for v in family_pages} == FAMILY_TEMPLATES
    for namespace in family_pages:
        assert namespace['context'] is None and namespace['request'] is None
        if namespace['renderer_name'].endswith('.jinja2'):
            # A Jinja page extends the layout itself: no layout objects.
            assert namespace['chrome'] is None and namespace['layout'] is None
        assert namespace_problems(namespace) == [], namespace['renderer_name']
    assert sorted(name for name, _, _ in pdfs) == ['agreement', 'summary']
    for name, args, kwargs in pdfs:
        values = dict(enumerate(args), **kwargs)
        # Both take the translate helper; the summary the date formatter
        # too.  Every other argument is whitelisted data.
        helpers = {key: values.pop(key) for key in list(values) if callable(values[key])}
        assert any(allowed_helper('t', h) for h in helpers.values()), name
        assert all(allowed_helper('t', h) or allowed_helper('on', h)
                   for h in helpers.values()), name
        assert not_whitelisted(values, name) == [], name
    kinds = {to: body for to, subject, body in mails}
    assert ROLE_EMAILS['guardian'] in kinds and ROLE_EMAILS['guardian_other'] in kinds
    assert len([to for to, _, _ in mails if to == ROLE_EMAILS['guardian']]) == 2  # new + reset
    for message in mails:
        assert not_whitelisted(message, 'mail') == []


def _contains_persistent(value, depth=0):
    if isinstance(value, persistent.Persistent):
        return True
    if depth > 5:
        return False
    if isinstance(value, dict):
        return any(_contains_persistent(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_contains_persistent(v, depth + 1) for v in value)
    if dataclasses.is_dataclass(value):
        return any(_contains_persistent(getattr(value, f.name), depth + 1)
                   for f in dataclasses.fields(value))
    return False


def test_guardian_templates_never_receive_a_persistent_object(app, demo):
    """By construction: what a family page's view hands its template."""
    captured = []

    def record(event):
        # Everything the template will see: system values and view values.
        captured.append(dict(event, **(event.rendering_val or {})))

    # Registered last and for the same spec as the app's subscribers, so it
    # sees the namespace after every one of them has run.
    app.registry.registerHandler(record, (BeforeRender,))
    try:
        guardian = sign_in(app, ROLE_EMAILS['guardian'])
        captured.clear()
        guardian.get('/family')
        guardian.get('/clients/%s/family' % demo.mateo)
        teen = sign_in(app, ROLE_EMAILS['adolescent'])
        teen.get('/clients/%s/mine' % demo.mateo)
    finally:
        app.registry.unregisterHandler(record, (BeforeRender,))
    family_pages = [v for v in captured
                    if v.get('renderer_name') in ('templates/family.jinja2', 'templates/child.jinja2',
                                                  'templates/teen.jinja2')]
    assert len(family_pages) == 3
    for namespace in family_pages:
        assert namespace['context'] is None and namespace['request'] is None
        assert not _contains_persistent(namespace), namespace
