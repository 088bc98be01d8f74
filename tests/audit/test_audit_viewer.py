"""The admin's viewer: filters, bad filters next to the field, CSV."""
import csv
import io

from support import ROLE_EMAILS, sign_in


def visit_mateo(app, demo, times=2):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    for _ in range(times):
        therapist.get('/clients/%s/' % demo.mateo)
    app.registry.audit_recorder.flush()


def test_filter_by_client_person_and_action(app, demo):
    visit_mateo(app, demo)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get('/audit')
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


def test_csv_export_holds_the_filtered_entries_with_their_hashes(app, demo):
    visit_mateo(app, demo)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    res = admin.get('/audit.csv', {'__formid__': 'audit-filter', 'filter': 'filter',
                                   'record': demo.mateo, 'action': 'GET Client.index'})
    assert res.content_type == 'text/csv'
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert len(rows) == 2
    assert {row['record'] for row in rows} == {demo.mateo}
    assert all(len(row['hash']) == 64 for row in rows)
    everything = list(csv.DictReader(io.StringIO(admin.get('/audit.csv').text)))
    assert len(everything) > len(rows)
    assert [int(r['seq']) for r in everything] == sorted(int(r['seq']) for r in everything)
