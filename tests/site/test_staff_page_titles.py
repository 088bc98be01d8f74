"""Staff page titles name the kind of page, never what is on it.

A title shows where the page does not: in tabs, window switchers, the
browser's history and bookmarks, a screen shared in a meeting.  A
therapist's progress form was titled ``Progress on "Manage worries at
school"``.  Here the marker is planted in every text field of every
client, goal, note, guardian link, summary, agreement, disclosure and
request, and the staff's pages are crawled: no ``<title>`` may hold it.
"""
import dataclasses
import re
from urllib.parse import urljoin, urlparse

import pytest

from support import MARKER, ROLE_EMAILS, sign_in

#: Text fields by record class (names, clinical and parent-facing wording).
FIELDS = {
    'Client': ('first_name', 'last_name', 'preferred_name', 'diagnosis'),
    'Goal': ('clinical_text', 'parent_title', 'parent_description'),
    'Note': ('text',),
    'GuardianLink': ('restriction_note',),
    'Summary': ('period', 'parent_text'),
    'Agreement': ('text',),
    'Disclosure': ('recipient_name', 'text', 'justification'),
    'ThirdPartyRequest': ('requester', 'asked_for', 'note'),
}


def plant(obj, planted):
    for name in FIELDS.get(type(obj).__name__, ()):
        if isinstance(getattr(obj, name, None), str):
            setattr(obj, name, '%s %s' % (MARKER, getattr(obj, name)))
            planted.add((type(obj).__name__, name))
    lines = getattr(obj, 'goal_lines', None)
    if lines:
        obj.goal_lines = tuple(dataclasses.replace(
            line, title=MARKER + ' ' + line.title, description=MARKER,
            note=MARKER) for line in lines)
        planted.add(('Summary', 'goal_lines'))
    contact = getattr(obj, 'contact', None)
    if contact is not None:
        contact.instructions = MARKER


def plant_everywhere(clinic):
    planted = set()

    def walk(obj):
        plant(obj, planted)
        values = getattr(obj, 'values', None)
        if values is not None and hasattr(obj, '_items'):
            for child in list(values()):
                walk(child)
    for client in clinic['clients'].values():
        walk(client)
    return planted


def crawl(browser, starts, limit=400):
    """Every staff page reachable by GET links; ``{path: response}``."""
    seen, queue = {}, list(starts)
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
            url = urlparse(urljoin('http://localhost' + path, href.replace('&amp;', '&')))
            if url.scheme not in ('', 'http') or url.netloc not in ('', 'localhost'):
                continue
            if not url.path.startswith('/static'):
                queue.append(url.path + ('?' + url.query if url.query else ''))
    return seen


def title_of(res):
    titles = res.html.head.find_all('title')
    assert len(titles) == 1, res.request.path
    return titles[0].get_text()


@pytest.mark.parametrize('role', ['therapist', 'supervisor'])
def test_staff_page_titles_carry_no_record_text(app, clinic, demo, role):
    with clinic() as c:
        planted = plant_everywhere(c)
    assert {kind for kind, _ in planted} >= {
        'Client', 'Goal', 'Note', 'Summary', 'Agreement', 'Disclosure'}
    browser = sign_in(app, ROLE_EMAILS[role])
    mateo = '/clients/%s/' % demo.mateo
    pages = crawl(browser, ['/', mateo])
    html = {path: res for path, res in pages.items()
            if res.status_int in (200, 400, 409) and 'html' in res.content_type}
    # The crawl reaches the record's pages, and the marker is on them.
    wanted = ['summaries/', 'agreements/', 'disclosures/', 'sharing']
    if role == 'therapist':
        wanted += ['/progress', '/edit', 'add-goal', 'add-agreement', 'add-summary',
                   'add-disclosure']
    for part in wanted:
        assert any(part in path for path in html), (part, sorted(html))
    assert sum(MARKER in res.text for res in html.values()) > 5
    leaking = {path: title_of(res) for path, res in html.items()
               if MARKER in title_of(res)}
    assert not leaking
