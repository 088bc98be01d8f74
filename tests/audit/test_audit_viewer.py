"""The audit viewer: filters, bad filters next to the field, CSV.

Filtering by client reference is the privacy officer's (the admin sees
staff and system actions without clients: test_privacy_officer.py)."""
import csv
import io

import transaction

from support import ROLE_EMAILS, sign_in


def visit_mateo(app, demo, times=2):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    for _ in range(times):
        therapist.get('/clients/%s/' % demo.mateo)
    app.registry.audit_recorder.flush()


def test_filter_by_client_person_and_action(app, demo):
    visit_mateo(app, demo)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    page = officer.get('/audit')
    assert 'GET Client.index' in page.text
    form = page.forms['audit-filter']
    form['record'] = demo.mateo
    form['email'] = ROLE_EMAILS['therapist']
    form['action'] = 'GET Client.index'
    res = form.submit('filter')
    rows = res.html.select('table.list tbody tr')
    assert len(rows) == 2
    assert all(demo.mateo in row.text and 'GET Client.index' in row.text for row in rows)
    assert 'Dana' in rows[0].text or 'herapist' in rows[0].text


def test_unknown_person_and_backwards_dates_are_explained(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/audit').forms['audit-filter']
    form['email'] = 'nobody@demo.test'
    res = form.submit('filter', status=400)
    assert 'No account has this address.' in res.text
    res = admin.get('/audit', {'__formid__': 'audit-filter', 'filter': 'filter',
                               'first_day': '2026-11-20', 'last_day': '2026-11-01'},
                    status=400)
    assert 'The end date is before the start date.' in res.text
    res = admin.get('/audit', {'__formid__': 'audit-filter', 'filter': 'filter',
                               'first_day': '2026-13-40'}, status=400)
    assert 'Invalid date' in res.text


def test_date_range_filters(app, demo):
    visit_mateo(app, demo, times=1)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = admin.get('/audit', {'__formid__': 'audit-filter', 'filter': 'filter',
                               'first_day': '2001-01-01', 'last_day': '2001-12-31'})
    assert 'No entries match.' in res.text


#: Entries sealed on days of March 2024, just either side of midnight (UTC)
#: at the edges of the range the tests ask for (the 10th to the 15th).
PROBES = (('2024-03-09T23:59:59.999999Z', 'before'),
          ('2024-03-10T00:00:00.000000Z', 'first-day'),
          ('2024-03-12T12:00:00.000000Z', 'inside'),
          ('2024-03-15T23:59:59.999999Z', 'last-day'),
          ('2024-03-16T00:00:00.000000Z', 'after'))
PROBE_ACTION = 'GET Client.index'


def seal_probes(app, record):
    """Put entries dated in the past on the chain (through ``seal``, so
    their hashes and indexes are the real ones)."""
    from minorconsent.audit.chain import log_of
    app.registry.audit_recorder.flush()
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = app.registry._zodb_databases['audit'].open(transaction_manager=tm)
    try:
        log_of(conn.root()).seal([
            {'at': at, 'actor': 'probe', 'role': 'therapist', 'action': PROBE_ACTION,
             'record': record, 'target': 'probe-' + name, 'detail': 'probe ' + name,
             'ip': '192.0.2.99', 'outcome': '200'} for at, name in PROBES])
        tm.commit()
    finally:
        conn.close()


def shown_probes(res):
    return sorted(name for _, name in PROBES if 'probe-%s' % name in res.text)


def test_a_date_range_shows_the_entries_of_its_days_both_ends_included(app, demo):
    """Days are UTC days, and the first and last day count in full
    (docs/SECURITY.md, audit trail): 00:00:00 of the first day and
    23:59:59.999999 of the last are in; a microsecond outside is not."""
    seal_probes(app, demo.mateo)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])

    def viewer(**filters):
        return officer.get('/audit', dict(filters, __formid__='audit-filter', filter='filter'))
    res = viewer(first_day='2024-03-10', last_day='2024-03-15')
    assert shown_probes(res) == ['first-day', 'inside', 'last-day']
    assert '3 matching entries' in res.text           # nothing of today either
    res = viewer(first_day='2024-03-12', last_day='2024-03-12')
    assert shown_probes(res) == ['inside']
    # One end open: everything from (or up to) that day.
    res = viewer(first_day='2024-03-15')
    assert shown_probes(res) == ['after', 'last-day']
    assert 'GET Client.index' in res.text and res.html.select('table.list tbody tr')[0]
    assert len(res.html.select('table.list tbody tr')) > 2    # today's entries too
    res = viewer(last_day='2024-03-10')
    assert shown_probes(res) == ['before', 'first-day']
    # With another filter, both must hold.
    res = viewer(first_day='2024-03-10', last_day='2024-03-15', record=demo.lucia)
    assert 'No entries match.' in res.text


def test_csv_export_applies_the_date_range_with_the_other_filters(app, demo):
    """The CSV holds exactly what the filters select (oldest first), each
    row with its chain hash, so the privacy officer can hand over one
    client's accesses for a period."""
    from minorconsent.audit.chain import FIELDS, entry_hash
    seal_probes(app, demo.mateo)
    seal_probes(app, demo.lucia)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    res = officer.get('/audit.csv', {'__formid__': 'audit-filter', 'filter': 'filter',
                                   'record': demo.mateo, 'action': PROBE_ACTION,
                                   'first_day': '2024-03-10', 'last_day': '2024-03-15'})
    assert res.content_type == 'text/csv'
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert [row['target'] for row in rows] == ['probe-first-day', 'probe-inside',
                                               'probe-last-day']
    assert {row['record'] for row in rows} == {demo.mateo}
    for row in rows:
        values = [int(row['seq'])] + [row[name] for name in FIELDS[1:]]
        assert entry_hash(values) == row['hash']
    # The same range for every client holds Lucia's probes too, in order.
    res = officer.get('/audit.csv', {'__formid__': 'audit-filter', 'filter': 'filter',
                                   'first_day': '2024-03-10', 'last_day': '2024-03-15'})
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert [(row['record'], row['target']) for row in rows] == [
        (client, 'probe-' + name) for client in (demo.mateo, demo.lucia)
        for name in ('first-day', 'inside', 'last-day')]
    # Bad dates are refused, not ignored.
    res = officer.get('/audit.csv', {'__formid__': 'audit-filter', 'filter': 'filter',
                                   'first_day': '2024-03-15', 'last_day': '2024-03-10'},
                    status=400)
    assert 'The end date is before the start date.' in res.text


def test_csv_export_holds_the_filtered_entries_with_their_hashes(app, demo):
    visit_mateo(app, demo)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    res = officer.get('/audit.csv', {'__formid__': 'audit-filter', 'filter': 'filter',
                                   'record': demo.mateo, 'action': 'GET Client.index'})
    assert res.content_type == 'text/csv'
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert len(rows) == 2
    assert {row['record'] for row in rows} == {demo.mateo}
    assert all(len(row['hash']) == 64 for row in rows)
    everything = list(csv.DictReader(io.StringIO(officer.get('/audit.csv').text)))
    assert len(everything) > len(rows)
    assert [int(r['seq']) for r in everything] == sorted(int(r['seq']) for r in everything)
