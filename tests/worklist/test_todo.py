"""The to-do list (issue 17 item 5): each kind of item for the therapist
and the therapist's supervisor, never for another therapist; the admin's
numbers without a name; the landing page of therapists and supervisors;
nobody in a family reaches it."""
import re
from dataclasses import replace
from html import unescape
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from minorconsent.workflow.definition import loads
from minorconsent.worklist import model
from minorconsent.worklist.model import (awaits_supervisor, clinic_counts, majority_day,
                                         supervisor_states, worklist_for)

from support import new_browser, sign_in

TODAY = date.today()
NAMES = ('Mateo', 'Lucia', 'Alvarez', 'Rowan', 'Fairhaven', 'Ava', 'Novak', 'Noah',
         'Brennan')


@pytest.fixture
def busy(demo):
    """The seeded clinic as it is: the seed makes one item of each kind
    for therapist@demo.test (Rowan's consent waits for a co-parent and
    the family's reminders are paused; Lucia's consent ends in 20 days;
    Mateo's summary waits for his review and a safety notice for the
    supervisor; Noah Brennan turns 18 in about six weeks)."""
    return demo


def ids_in(worklist, section):
    return {item.client_id for item in worklist.items(section)}


def lists(clinic, demo, *roles):
    with clinic() as c:
        return [worklist_for(c, c['users'][demo.user_ids[role]], TODAY) for role in roles]


def test_the_seed_makes_every_kind_of_item(clinic, busy):
    (mine,) = lists(clinic, busy, 'therapist')
    assert [sid for sid in model.SECTION_IDS if not mine.items(sid)] == []


def test_each_kind_for_the_therapist_and_the_supervisor_not_another_therapist(clinic, busy):
    demo = busy
    mine, supervised, other = lists(clinic, demo, 'therapist', 'supervisor', 'therapist_other')
    for worklist in (mine, supervised):
        assert ids_in(worklist, 'unsigned') == {demo.rowan}
        assert ids_in(worklist, 'expiring') == {demo.lucia}
        assert ids_in(worklist, 'teen_review') == {demo.mateo}
        assert ids_in(worklist, 'supervisor') == {demo.mateo}
        assert ids_in(worklist, 'majority') == {demo.noah}
        assert ids_in(worklist, 'paused') == {demo.rowan}
        (item,) = worklist.items('majority')
        assert 40 <= item.days <= 45
        assert 'consents for themselves' in item.detail
        assert 'guardians lose access' in item.detail
        assert worklist.items('expiring')[0].days == 20
        assert 'Custody hearing pending' in worklist.items('paused')[0].detail
    assert ids_in(other, 'unsigned') == {demo.ava}
    for section in ('expiring', 'teen_review', 'supervisor', 'majority', 'paused'):
        assert not other.items(section)


def test_an_agreement_ending_later_than_30_days_is_not_listed(clinic, busy):
    with clinic() as c:
        (consent,) = [a for a in c['clients'][busy.lucia]['agreements'].values()
                      if a.state == 'active']
        consent.valid_until = TODAY + timedelta(days=31)
    (mine,) = lists(clinic, busy, 'therapist')
    assert mine.items('expiring') == ()
    with clinic() as c:
        c['clients'][busy.mateo]['agreements'][busy.mateo_consent].valid_until = (
            TODAY + timedelta(days=30))
    (mine,) = lists(clinic, busy, 'therapist')
    assert ids_in(mine, 'expiring') == {busy.mateo}


def test_unsigned_agreements_show_their_age_in_days(clinic, busy):
    """The age counts from the step that sent it (its latest history entry)."""
    demo = busy
    with clinic() as c:
        for cid in c['clients'].index.for_staff([demo.user_ids['therapist']])[0]:
            for a in c['clients'][cid].get('agreements', {}).values():
                if a.state in ('sent', 'proposed'):
                    n = len(a.history) - 1
                    latest = a.history._entries[n]
                    a.history._entries[n] = replace(latest,
                                                    time=latest.time - timedelta(days=12))
    (mine,) = lists(clinic, demo, 'therapist')
    assert [i.days for i in mine.items('unsigned')] == [12]
    assert mine.items('unsigned')[0].detail == '1 signature missing'


def test_paused_reminders_come_from_the_reminders_room(clinic, busy, monkeypatch):
    demo = busy
    pause = SimpleNamespace(reason='custody dispute', since=TODAY - timedelta(days=3), by='x')
    monkeypatch.setattr(model, '_reminders', SimpleNamespace(
        paused_clients=lambda clinic: [(demo.mateo, pause), (demo.ava, pause)]))
    mine, other = lists(clinic, demo, 'therapist', 'therapist_other')
    (item,) = mine.items('paused')  # the seed's pause of Rowan's family is not read
    assert (item.client_id, item.days) == (demo.mateo, 3) and 'custody dispute' in item.detail
    assert ids_in(other, 'paused') == {demo.ava}
    # Without the function (the room not there yet), nothing, and no error.
    monkeypatch.setattr(model, '_reminders', None)
    (mine,) = lists(clinic, demo, 'therapist')
    assert mine.items('paused') == ()


def test_awaiting_the_supervisor_is_read_from_the_definition():
    disclosure = loads(open('minorconsent/workflows/safety-disclosure.toml').read())
    summary = loads(open('minorconsent/workflows/parent-summary.toml').read())
    assert supervisor_states(disclosure) == {'awaiting_signoff'}
    assert supervisor_states(summary) == frozenset()
    # A clinic that adds an approval by the supervisor gets it counted.
    source = open('minorconsent/workflows/parent-summary.toml').read() + '''
[states.approval]
title = "Approval"
permissions.supervisor = ["view"]

[[transitions]]
id = "approve"
title = "Approve"
from = ["approval"]
to = "draft"
roles = ["supervisor"]
'''
    assert supervisor_states(loads(source)) == {'approval'}
    assert not awaits_supervisor(loads(source), 'draft')


def test_the_therapist_page_lists_and_links(app, busy):
    demo = busy
    page = sign_in(app, 'therapist@demo.test').get('/todo')
    main = unescape(page.text[page.text.index('<main'):])
    for heading in ('Agreements waiting for signatures (1)',
                    'Agreements whose period ends within 30 days (1)',
                    "Summaries awaiting the client's review (1)",
                    "Documents awaiting the supervisor's approval (2)",
                    'Clients turning 18 within 60 days (1)', 'Reminders paused (1)'):
        assert heading in main
    assert 'href="http://localhost/clients/%s"' % demo.mateo in main
    assert 'href="http://localhost/clients/%s"' % demo.noah in main
    assert 'href="http://localhost/clients/%s"' % demo.lucia in main
    assert 'href="http://localhost/clients/%s"' % demo.rowan in main
    assert demo.ava not in main and 'Novak' not in main


def test_the_admin_sees_numbers_only(app, busy):
    demo = busy
    page = sign_in(app, 'admin@demo.test').get('/todo')
    main = page.text[page.text.index('<main'):]
    numbers = dict(re.findall(r'<td>([^<]+)</td><td>(\d+)</td>', main))
    assert numbers['Agreements waiting for signatures'] == '2'
    assert numbers['Clients turning 18 within 60 days'] == '1'
    assert numbers['Agreements whose period ends within 30 days'] == '1'
    for name in NAMES:
        assert name not in page.text
    for cid in (demo.mateo, demo.lucia, demo.ava, demo.noah):
        assert cid not in page.text
    assert '/clients/' not in main


def test_the_admin_numbers_are_the_clinic_totals(clinic, busy):
    with clinic() as c:
        counts = clinic_counts(c, TODAY)
    assert [counts.count(s) for s in model.SECTION_IDS] == [2, 1, 1, 2, 1, 1, 1]
    # The same as the two therapists' own lists added up (nobody else has clients).
    lists_ = lists(clinic, busy, 'therapist', 'therapist_other')
    assert [counts.count(s) for s in model.SECTION_IDS] == [
        sum(len(w.items(s)) for w in lists_) for s in model.SECTION_IDS]


@pytest.mark.parametrize('email', ['therapist@demo.test', 'therapist2@demo.test',
                                   'supervisor@demo.test'])
def test_therapists_and_supervisors_land_on_their_to_do_list(app, email):
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = email, 'demo-password-1'
    landing = form.submit().follow()
    assert landing.request.path == '/todo' or landing.status_int == 302
    home = sign_in(app, email).get('/')
    assert home.status_int == 302 and home.location.endswith('/todo')
    page = sign_in(app, email).get('/todo')
    assert '<a href="http://localhost/todo">To-do</a>' in page.text
    assert page.text.count('>To-do</a>') == 1


@pytest.mark.parametrize('email', ['guardian@demo.test', 'guardian2@demo.test',
                                   'restricted@demo.test', 'teen@demo.test',
                                   'privacy@demo.test'])
@pytest.mark.parametrize('path', ['/todo', '/notice-preferences'])
def test_nobody_else_reaches_the_pages(app, email, path):
    nowhere = sign_in(app, email).get('/no-such-page', status=404)
    answer = sign_in(app, email).get(path, status=404)
    assert answer.body == nowhere.body


def test_signed_out_visitors_are_sent_to_sign_in(app):
    for path in ('/todo', '/notice-preferences'):
        answer = new_browser(app).get(path, status=302)
        assert answer.location.endswith('/login')
