"""Controls the threat model (docs/SECURITY.md) once listed under "Gaps":
each test here fails if its control breaks."""
import pytest

from support import ROLE_EMAILS, sign_in


# --- Settings bounds (site/schemas.py SettingsSchema) -------------------------

#: field: (lowest allowed, highest allowed)
BOUNDS = {
    'age_of_majority': (14, 25),
    'self_consent_age': (10, 25),
    'idle_timeout_minutes': (2, 120),
    'session_lifetime_hours': (1, 24),
    'assent_age': (5, 18),
    'invitation_days': (1, 30),
    'password_min_length': (12, 128),
}

OUT_OF_RANGE = [(field, low - 1, '%d is less than minimum value %d' % (low - 1, low))
                for field, (low, high) in BOUNDS.items()] + \
               [(field, high + 1, '%d is greater than maximum value %d' % (high + 1, high))
                for field, (low, high) in BOUNDS.items()]


def stored_settings(clinic):
    with clinic() as c:
        return c.settings.as_dict()


def field_errors(res):
    """{field name: error text} of the fields the page marks invalid; the
    message must sit in the field's own block, next to its input."""
    found = {}
    for item in res.html.select('form div[id^=item-]'):
        control = item.find(['input', 'textarea', 'select'], attrs={'name': True})
        feedback = item.find('p', class_='invalid-feedback', recursive=False) or \
            item.find('p', class_='invalid-feedback')
        if control is not None and feedback is not None:
            assert 'is-invalid' in control.get('class', []), control
            found[control['name']] = feedback.get_text(' ', strip=True)
    return found


@pytest.mark.parametrize('field,value,message', OUT_OF_RANGE,
                         ids=['%s=%s' % (f, v) for f, v, m in OUT_OF_RANGE])
def test_an_out_of_range_setting_is_refused_next_to_its_field_and_changes_nothing(
        app, clinic, field, value, message):
    before = stored_settings(clinic)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    form[field] = str(value)
    res = form.submit(status=400)
    assert field_errors(res) == {field: message}
    assert stored_settings(clinic) == before


@pytest.mark.parametrize('end', [0, 1], ids=['lowest', 'highest'])
def test_every_boundary_value_is_accepted(app, clinic, end):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    for field, bounds in BOUNDS.items():
        form[field] = str(bounds[end])
    res = form.submit()
    assert res.status_int == 302, field_errors(res)
    after = stored_settings(clinic)
    assert {field: after[field] for field in BOUNDS} == \
        {field: bounds[end] for field, bounds in BOUNDS.items()}


# --- Family page titles carry no name and no therapy word ---------------------

#: A title shows in tabs, history, bookmarks, window switchers and the
#: screen of a shared computer: nothing in it may say who or what.
THERAPY_WORDS = ('therap', 'counsel', 'clinic', 'mental', 'psych', 'treatment',
                 'diagnos', 'session', 'disclos', 'safety', 'terap', 'tratamiento')


def client_names(clinic):
    """Every client's first, last and preferred name (Mateo's preferred
    name is set first, so a title showing it is caught too)."""
    with clinic() as c:
        names = set()
        for client in c['clients'].values():
            names |= {client.first_name, client.last_name, client.preferred_name or ''}
        return {n for n in names if n}


def family_pages(browser, start):
    """Every HTML page reachable by links from ``start`` on the family side."""
    import re
    from urllib.parse import urljoin, urlparse
    seen, queue = {}, [start]
    while queue and len(seen) < 150:
        path = queue.pop()
        if path in seen or '/logout' in path:
            continue
        res = browser.get(path, expect_errors=True)
        seen[path] = res
        if res.status_int in (301, 302, 303):
            queue.append(urlparse(res.location).path)
        elif 'html' in res.content_type:
            for href in re.findall(r'href="([^"]+)"', res.text):
                url = urlparse(urljoin('http://localhost' + path, href))
                if url.netloc in ('', 'localhost') and not url.path.startswith('/static') \
                        and url.scheme not in ('mailto', 'tel'):
                    queue.append(url.path)
    return {path: res for path, res in seen.items()
            if res.status_int == 200 and 'html' in res.content_type}


def title_of(res):
    """The document's title (charts carry SVG titles of their own, in the body)."""
    titles = res.html.head.find_all('title')
    assert len(titles) == 1, res.request.path
    return titles[0].get_text()


@pytest.mark.parametrize('role', ['guardian', 'adolescent'])
def test_family_page_titles_name_no_client_and_no_therapy(app, clinic, demo, role):
    with clinic() as c:
        c['clients'][demo.mateo].preferred_name = 'Teo'
        published = [s.__name__ for s in c['clients'][demo.mateo]['summaries'].values()
                     if s.state == 'published']
    names = client_names(clinic)
    assert {'Mateo', 'Alvarez', 'Lucia', 'Teo'} <= names
    browser = sign_in(app, ROLE_EMAILS[role])
    mateo = '/clients/%s/' % demo.mateo
    pages = family_pages(browser, '/')
    # Whatever the links lead to, these pages must be among those checked.
    if role == 'guardian':
        required = ['/family', mateo + 'family', '/clients/%s/family' % demo.lucia,
                    mateo + 'access', mateo + 'summaries/%s/family' % published[-1]]
        kinds = ['/agreements/']
    else:
        required = [mateo + 'mine',
                    mateo + 'summaries/%s/review' % demo.mateo_review_summary]
        kinds = ['/agreements/']
    for path in required:
        if path not in pages:
            pages[path] = browser.get(path)
    for kind in kinds:
        assert any(kind in path for path in pages), (role, kind, sorted(pages))
    assert len(pages) >= len(required) + 1
    for path, res in pages.items():
        title = title_of(res)
        words = title.lower()
        for name in names:
            assert name.lower() not in words, (path, title)
        for word in THERAPY_WORDS:
            assert word not in words, (path, title)


# --- The audit viewer names no client ----------------------------------------

def test_the_audit_viewer_and_its_csv_show_no_client_names(app, clinic, demo):
    mateo = '/clients/%s/' % demo.mateo
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    # A write that carries the names themselves: the preferred name is set
    # through the record's own edit form.
    form = therapist.get(mateo + 'edit').forms['form']
    form['preferred_name'] = 'Teodoro'
    assert form.submit().status_int == 302
    for path in ('', 'edit', 'contact', 'sharing', 'add-goal', 'add-note'):
        therapist.get(mateo + path)
    therapist.get('/clients/', {'q': 'Alvarez'})
    sign_in(app, ROLE_EMAILS['supervisor']).get(mateo)
    # Family members act on the same record: the teen's account is named
    # after the client, the mother shares the surname.
    sign_in(app, ROLE_EMAILS['adolescent']).get(mateo + 'mine')
    sign_in(app, ROLE_EMAILS['guardian']).get(mateo + 'family')
    app.registry.audit_recorder.flush()
    names = client_names(clinic)
    assert {'Mateo', 'Alvarez', 'Teodoro'} <= names

    def everything(reader):
        pages, page = [], reader.get('/audit')
        while True:
            pages.append(page)
            more = page.html.find('a', string=lambda s: s and 'Older' in s)
            if more is None or len(pages) > 50:
                break
            page = reader.get(more['href'])
        text = ' '.join(p.html.find('main').get_text(' ') for p in pages)
        return pages, text, reader.get('/audit.csv').text

    # The privacy officer reads it all, under Mateo's opaque id.
    pages, text, csv_text = everything(sign_in(app, ROLE_EMAILS['privacy_officer']))
    for shown in (text, csv_text):
        assert demo.mateo in shown and 'GET Client.index' in shown and 'POST Client.edit' in shown
        assert 'GET Client.mine' in shown and 'GET Client.family' in shown
    for name in names:
        assert name not in text, name
        assert name not in csv_text, name
    # The admin: staff and system actions, no client, no family action.
    admin_pages, text, csv_text = everything(sign_in(app, ROLE_EMAILS['admin']))
    for shown in (text, csv_text):
        assert 'GET Client.index' in shown and 'POST Client.edit' in shown
        assert demo.mateo not in shown
        assert 'GET Client.mine' not in shown and 'GET Client.family' not in shown
    # Staff are still named (the viewer is not blind to who did what).
    assert 'therapist' in text.lower() or 'Dana' in text
    for name in names:
        assert name not in text, name
        assert name not in csv_text, name
    pages += admin_pages
    # The filter form on the page keeps what the admin typed, never a name from the trail.
    assert all(name not in p.text for p in pages for name in names)


# --- Opaque ids (site/folder.py new_id) ---------------------------------------

#: 9 random bytes, base64url, with '-' and '_' made 'x' and 'y' (so the id
#: needs no escaping anywhere): 12 characters of [A-Za-z0-9].
ID = r'^[A-Za-z0-9]{12}$'


def test_new_ids_are_random_and_about_71_bits():
    import math
    import os
    import re
    from collections import Counter
    from minorconsent.site.folder import new_id
    draws = [new_id() for _ in range(20000)]
    assert all(re.match(ID, d) for d in draws), [d for d in draws if not re.match(ID, d)][:3]
    assert len(set(draws)) == len(draws)
    # No sequence: neighbours share no more of a prefix than chance gives
    # (1/62 per character), and the order drawn is not the sorted order.
    shared = [len(os.path.commonprefix([a, b])) for a, b in zip(draws, draws[1:])]
    assert sum(shared) / len(shared) < 0.05
    assert draws != sorted(draws)
    # Every character position is spread over the whole alphabet: 62
    # symbols, 'x' and 'y' about twice as often as the others (they also
    # stand for '-' and '_').  Measured entropy, summed over positions,
    # is about 71 bits.
    bits = 0.0
    for position in range(12):
        counts = Counter(d[position] for d in draws)
        assert len(counts) == 62, (position, sorted(counts))
        share = {c: n / len(draws) for c, n in counts.items()}
        assert 1.5 < share['x'] / share['a'] < 2.6 and 1.5 < share['y'] / share['Q'] < 2.6
        bits += -sum(p * math.log2(p) for p in share.values())
    assert 70.5 < bits < 72, bits


def test_client_agreement_and_summary_urls_use_opaque_ids(app, clinic, demo):
    import re
    from urllib.parse import urlparse
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        names = {mateo.first_name, mateo.last_name}
        refs = [demo.mateo, demo.lucia, demo.ava, demo.mateo_consent,
                demo.mateo_review_summary, demo.mateo_goal]
        refs += list(mateo['agreements'].keys()) + list(mateo['summaries'].keys())
    assert all(re.match(ID, ref) for ref in refs), refs
    # A new client, agreement and summary get one at once, and the pages
    # families reach link to them by it.
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/add').forms['form']
    form['first_name'], form['last_name'] = 'Zelda', 'Quintero'
    form['date_of_birth'] = '2014-05-06'
    made = form.submit()
    assert made.status_int == 302, made.text[:2000]
    path = urlparse(made.location).path
    assert re.match(r'^/clients/[A-Za-z0-9]{12}/$', path), path
    assert 'Zelda' not in path and 'Quintero' not in path
    form = therapist.get('/clients/%s/add-summary' % demo.mateo).forms['form']
    form['period'], form['parent_text'] = 'Winter', 'A good winter.'
    path = urlparse(form.submit().location).path
    assert re.match(r'^/clients/%s/summaries/[A-Za-z0-9]{12}/$' % demo.mateo, path), path
    family = sign_in(app, ROLE_EMAILS['guardian'])
    hrefs = set()
    for page in ('/family', '/clients/%s/family' % demo.mateo):
        hrefs |= {urlparse(a['href']).path for a in family.get(page).html.find_all('a', href=True)}
    client_links = [h for h in hrefs if h.startswith('/clients/')]
    assert client_links
    for href in client_links:
        segments = [s for s in href.split('/')[1:] if s]
        # /clients/<id>/[agreements|summaries|...]/<id>/[view]
        assert re.match(ID, segments[1]), href
        if len(segments) > 3 and segments[2] in ('agreements', 'summaries', 'goals', 'disclosures'):
            assert re.match(ID, segments[3]), href
        assert not any(name.lower() in href.lower() for name in names), href
    assert any('/agreements/' in h for h in client_links) and \
        any('/summaries/' in h for h in client_links)
