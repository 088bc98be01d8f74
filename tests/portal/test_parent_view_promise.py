"""The promise: a guardian never sees session content, private notes,
diagnoses, internal comments or another family's data.

The demo clinic is seeded with MARKER in every field a guardian must never
see.  These tests crawl everything each family member can reach, and try
every client URL of every family, looking for it.
"""
import dataclasses
import re
from urllib.parse import urljoin, urlparse

import persistent
import pytest
from pyramid.events import BeforeRender

from support import MARKER, ROLE_EMAILS, sign_in
from minorconsent.disclosures.model import SafetyNotice
from minorconsent.portal.parentview import ParentChildView, parent_view
from test_authorization_matrix import TABLE

FAMILY = ('guardian', 'guardian_other', 'guardian_restricted', 'adolescent')


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
    browser = sign_in(app, ROLE_EMAILS[role])
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
    assert 'Mateo' in family.text and 'Lucia' in family.text
    assert 'Ava' not in family.text
    assert 'Mateo Alvarez' not in family.text   # children by first name only
    assert browser.get('/clients/%s/family' % demo.ava, expect_errors=True).status_int == 404


def test_restricted_and_non_authority_guardians_see_no_child(app, demo):
    for email in (ROLE_EMAILS['guardian_restricted'], 'stepparent@demo.test'):
        browser = sign_in(app, email)
        assert 'Mateo' not in browser.get('/family').text
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
                    if v.get('renderer_name') in ('templates/family.pt', 'templates/child.pt',
                                                  'templates/teen.pt')]
    assert len(family_pages) == 3
    for namespace in family_pages:
        assert namespace['context'] is None and namespace['request'] is None
        assert not _contains_persistent(namespace), namespace
