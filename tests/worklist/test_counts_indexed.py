"""The admin's counts read indexes, not every client (issue 17 item 5 at
50,000 clients): ``clinic_counts`` (workflow records by state, the
reminders' pauses, the clients index) must give the answer of walking
every open client and its documents (``walked_counts``), on a seeded
clinic with every kind of item, stops, closed-off clients and birthdays at
the edges of the 60 days, on several days."""
from collections import Counter
from datetime import date, timedelta

import pytest
from BTrees.OOBTree import OOTreeSet

from minorconsent.clients.rules import assign_therapists
from minorconsent.reminders.model import pause, store_of, waiting_agreements
from minorconsent.scripts.seed import DEMO_PASSWORD, Seeder
from minorconsent.scripts.seed_agreements import AgreementSeeder, pdfs_not_stored
from minorconsent.worklist import counts
from minorconsent.worklist.model import SECTION_IDS, clinic_counts, walked_counts

TODAY = date.today()
GENERATED = 160


@pytest.fixture
def varied(app, clinic, demo):
    """The demo families plus ``GENERATED`` clients with a year of
    agreements (waiting, declined, in force, renewals), then every kind of
    stop on some waiting ones, pauses, clients taken off every caseload,
    and birthdays on and around the edges of the 60 days."""
    with clinic() as c:
        seeder = Seeder(c, app.registry.passwords.hash(DEMO_PASSWORD), '', app.registry)
        therapists = seeder.generated_therapists(3)
        agreements = AgreementSeeder(c, app.registry, TODAY)
        with pdfs_not_stored():
            seeder.generated(GENERATED, therapists, lambda: None, lambda: None,
                             agreements=agreements.add)
    with clinic() as c:
        users, clients = c['users'], c['clients']
        waiting = sorted(waiting_agreements(c), key=lambda a: a.workflow_key)
        assert len(waiting) >= 8
        reminders = store_of(c, create=True)
        for n, agreement in enumerate(waiting):
            client = agreement.workflow_client()
            gid = sorted(agreement.required_guardians)[0]
            kind = n % 8
            if kind == 0:
                users[gid].email = ''
            elif kind == 1:
                users[gid].mail_undeliverable = TODAY
            elif kind == 2:
                client['guardians'][gid].restricted = True
            elif kind == 3:
                reminders.record_for(agreement, gid).count = c.settings.reminder_max
            elif kind == 4 and client.__name__ not in reminders.pauses:
                pause(c, client, 'Family asked for a break', client.therapist_ids[0])
            elif kind == 5:
                # Off every caseload: neither the list nor the count has it.
                assign_therapists(c, client, [])
        generated = [clients[cid] for cid in sorted(counts.open_clients(c))
                     if clients[cid].last_name not in ('Alvarez', 'Novak', 'Fairhaven')]
        age = c.settings.age_of_majority
        edges = (0, 1, 2, 30, 59, 60, 61, 62, 80)
        for client, days in zip(generated[::7], edges):
            day = TODAY + timedelta(days=days)
            client.date_of_birth = day.replace(year=day.year - age) \
                if not (day.month == 2 and day.day == 29) else date(day.year - age, 3, 1)
            clients.reindex(client)
        # A leap-day birthday and a paused client off every caseload.
        generated[3].date_of_birth = date(2008, 2, 29)
        clients.reindex(generated[3])     # as the client form does
        pause(c, generated[5], 'Moved away', generated[5].therapist_ids[0])
        assign_therapists(c, generated[5], [])
    return demo


def numbers(found):
    return [found.count(sid) for sid in SECTION_IDS]


@pytest.mark.parametrize('days_on', [0, 10, 45])
def test_the_indexed_counts_are_the_walked_counts(clinic, varied, days_on):
    today = TODAY + timedelta(days=days_on)
    with clinic() as c:
        indexed, walked = clinic_counts(c, today), walked_counts(c, today)
    assert numbers(indexed) == numbers(walked)
    assert indexed.numbers == walked.numbers       # the headings too
    if days_on == 0:
        # The seeded clinic has items of every kind to count.
        assert all(n > 0 for n in numbers(indexed)), numbers(indexed)
        assert indexed.count('stopped') >= 4 and indexed.count('majority') >= 5


def test_a_date_of_birth_index_gives_the_same_answer(clinic, varied):
    """Where the clients index keeps ``by_birth`` (date of birth, client id)
    of the open clients, the count reads a key range of it instead of the
    clients: the same numbers, at the edges of the 60 days too."""
    with clinic() as c:
        index = c['clients'].index
        before = [walked_counts(c, TODAY + timedelta(days=d)).count('majority')
                  for d in (0, 1, 30)]
        index.by_birth = OOTreeSet((c['clients'][cid].date_of_birth, cid)
                                   for cid in counts.open_clients(c))
        after = [clinic_counts(c, TODAY + timedelta(days=d)).count('majority')
                 for d in (0, 1, 30)]
        # Emptied, the range finds nobody: the count read the index.
        index.by_birth = OOTreeSet()
        assert clinic_counts(c, TODAY).count('majority') == 0
        del index.by_birth
    assert after == before and before[0] > 0


def loaded(jar, count, c):
    """``(objects loaded, {class name: objects now in memory})`` of one
    count from an empty object cache (ZODB's transfer counts)."""
    jar.cacheMinimize()
    jar.getTransferCounts(True)
    count(c, TODAY)
    kinds = Counter(type(obj).__name__ for _oid, obj in jar._cache.lru_items())
    return jar.getTransferCounts(True)[0], kinds


def test_the_indexed_count_does_not_read_every_client(clinic, varied):
    """The walk loads every open client and its folders; the indexed count
    loads the documents in the counted states and the clients of those
    only.  (The agreements in force are read for their end dates: no index
    keeps those.)  Without a date-of-birth index the clients are read for
    their birthdays, but not their folders or documents."""
    with clinic() as c:
        jar = c._p_jar
        everyone = len(counts.open_clients(c))
        if getattr(c['clients'].index, 'by_birth', None) is not None:
            del c['clients'].index.by_birth      # first as a clinic without one
        walked, walked_kinds = loaded(jar, walked_counts, c)
        plain, plain_kinds = loaded(jar, clinic_counts, c)
        c['clients'].index.by_birth = OOTreeSet(
            (c['clients'][cid].date_of_birth, cid) for cid in counts.open_clients(c))
        births, birth_kinds = loaded(jar, clinic_counts, c)
    assert walked_kinds['Client'] == everyone
    assert walked_kinds['Folder'] >= everyone
    assert plain_kinds['Folder'] < everyone // 3
    assert birth_kinds['Client'] < everyone // 3, birth_kinds
    assert births < plain < walked, (births, plain, walked)
