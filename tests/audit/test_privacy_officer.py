"""The admin's view of the trail is of staff and system actions; who is a
client and what was disclosed about whom is the privacy officer's alone.

The admin sees no client record, yet before the privacy officer role the
viewer turned a guardian's address into their child's reference (their
family page views) and that reference into "abuse to agency" and
"harm_self to guardian" (the disclosure entries' details).
"""
import csv
import io

from support import ROLE_EMAILS, sign_in

FILTER = {'__formid__': 'audit-filter', 'filter': 'filter'}
#: What the seed's disclosures put in their entries' details.
DISCLOSURE_WORDS = ('abuse to agency', 'harm_self to guardian', 'harm_self', 'abuse to')


def family_activity(app, demo):
    """The mother reads her son's page; the therapist reads his record."""
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    mother.get('/clients/%s/family' % demo.mateo)
    sign_in(app, ROLE_EMAILS['adolescent']).get('/clients/%s/mine' % demo.mateo)
    sign_in(app, ROLE_EMAILS['therapist']).get('/clients/%s/' % demo.mateo)
    app.registry.audit_recorder.flush()


def client_refs(demo):
    return (demo.mateo, demo.lucia, demo.ava)


def assert_names_no_client(text, demo):
    for ref in client_refs(demo):
        assert ref not in text
    for words in DISCLOSURE_WORDS:
        assert words not in text


def viewer(browser, **filters):
    return browser.get('/audit', dict(FILTER, **filters), expect_errors=True)


def export(browser, **filters):
    return browser.get('/audit.csv', dict(FILTER, **filters), expect_errors=True)


def test_the_admin_learns_no_client_from_a_guardians_address(app, demo):
    family_activity(app, demo)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    for email in (ROLE_EMAILS['guardian'], ROLE_EMAILS['adolescent']):
        for res in (viewer(admin, email=email), export(admin, email=email)):
            assert res.status_int in (200, 400)
            assert_names_no_client(res.text, demo)
        page = viewer(admin, email=email)
        assert 'GET Client.family' not in page.text and 'GET Client.mine' not in page.text


def test_the_admin_learns_no_disclosure_from_a_client_reference(app, demo):
    family_activity(app, demo)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    for res in (viewer(admin, record=demo.mateo), export(admin, record=demo.mateo),
                viewer(admin), export(admin),
                viewer(admin, action='disclosure.record'),
                export(admin, action='disclosure.record')):
        assert res.status_int in (200, 400)
        assert_names_no_client(res.text, demo)
    # Staff actions stay visible (who worked when), without the client.
    page = viewer(admin, email=ROLE_EMAILS['therapist'])
    assert 'GET Client.index' in page.text
    rows = list(csv.DictReader(io.StringIO(export(admin).text)))
    assert rows and all(not row['record'] for row in rows)
    assert {row['actor'] for row in rows} & {demo.user_ids['therapist'], 'system'}
    assert not {row['actor'] for row in rows} & {
        demo.user_ids[role] for role in ('guardian', 'guardian_other', 'adolescent')}


def test_the_admins_action_list_holds_no_family_action(app, demo):
    family_activity(app, demo)
    admin = sign_in(app, ROLE_EMAILS['admin'])
    choices = [value for value, _, _ in admin.get('/audit').forms['audit-filter']['action'].options]
    assert 'GET Client.index' in choices          # a therapist's
    assert 'GET Client.family' not in choices and 'GET Client.mine' not in choices
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    choices = [value for value, _, _ in
               officer.get('/audit').forms['audit-filter']['action'].options]
    assert 'GET Client.family' in choices and 'disclosure.record' in choices


def test_the_privacy_officer_reads_all_of_it(app, demo):
    family_activity(app, demo)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    page = viewer(officer, email=ROLE_EMAILS['guardian'])
    assert page.status_int == 200 and demo.mateo in page.text
    assert 'GET Client.family' in page.text
    page = viewer(officer, record=demo.mateo)
    assert 'abuse to agency' in page.text and 'harm_self to guardian' in page.text
    rows = list(csv.DictReader(io.StringIO(export(officer, record=demo.mateo).text)))
    assert {row['record'] for row in rows} == {demo.mateo}
    assert any(row['detail'] == 'abuse to agency' for row in rows)
    assert demo.user_ids['guardian'] in {row['actor'] for row in rows}


def test_the_privacy_officer_reads_the_accounting_of_disclosures(app, demo):
    app.registry.audit_recorder.flush()       # the seed's entries, sealed
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    page = officer.get('/disclosure-accounting')
    assert demo.mateo in page.text and 'abuse to agency' in page.text
    page = officer.get('/disclosure-accounting', {'__formid__': 'accounting-filter',
                                                  'filter': 'filter', 'record': demo.ava})
    assert 'abuse to agency' not in page.text
    # Bad dates: the message by the field, 400.
    page = officer.get('/disclosure-accounting', {
        '__formid__': 'accounting-filter', 'filter': 'filter',
        'first_day': '2026-11-20', 'last_day': '2026-11-01'}, status=400)
    assert 'The end date is before the start date.' in page.text


def test_a_privacy_officer_account_holds_no_other_role(app):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    page = admin.get('/users/add')
    assert 'Privacy officer' in page.text
    assert 'accounting of disclosures' in page.text      # what the role may, in words

    def submit(roles, status):
        form = page.forms['form']
        form['display_name'] = 'Quinn Harlow'
        form['email'] = 'quinn@demo.test'
        form['password'] = 'a long enough password 1'
        for box in form.fields['checkbox']:
            box.checked = box._value in roles
        return form.submit(status=status)
    res = submit(('privacy_officer', 'therapist'), 400)
    assert 'Use a separate account for the privacy officer.' in res.text
    res = submit(('privacy_officer', 'admin'), 400)
    assert 'separate account' in res.text
    submit(('privacy_officer',), 302)
    officer = sign_in(app, 'quinn@demo.test', 'a long enough password 1')
    assert officer.get('/', status=302).location.endswith('/audit')


def test_the_admin_cannot_confirm_a_guessed_detail_by_its_hash(app, demo):
    """An entry's hash is the SHA-256 of all its fields: an admin who saw
    a blanked entry's hash (its own row, the next row's ``prev``, or the
    head on /audit) and learnt a client's reference and a record's path
    could recompute it for "abuse to agency", "harm_self to guardian" ...
    and confirm which it was.  The admin sees no hash of an entry not
    shown to them in full."""
    from minorconsent.audit.chain import FIELDS, entry_hash
    family_activity(app, demo)
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    sealed = {row['seq']: row for row in
              csv.DictReader(io.StringIO(export(officer).text))}
    disclosures = [row for row in sealed.values() if row['action'] == 'disclosure.record']
    assert disclosures

    def recomputed(row, **guess):
        values = [int(row['seq'])] + [dict(row, **guess)[name] for name in FIELDS[1:]]
        return entry_hash(values)
    # The attack works on a whole row: the hash recomputes from its fields.
    assert all(recomputed(row) == row['hash'] for row in disclosures)

    admin = sign_in(app, ROLE_EMAILS['admin'])
    rows = list(csv.DictReader(io.StringIO(export(admin).text)))
    seen = {row['hash'] for row in rows} | {row['prev'] for row in rows}
    seen.discard('')
    full = {row['hash'] for row in rows if row['record'] or not sealed[row['seq']]['record']}
    for row in sealed.values():
        if row['hash'] not in full:
            assert row['hash'] not in seen, row['action']
    # The guess, tried against everything the admin's export holds.
    for row in disclosures:
        admin_row = next(r for r in rows if r['seq'] == row['seq'])
        assert not admin_row['detail']
        for guess in ('abuse to agency', 'harm_self to guardian', 'other to guardian'):
            assert recomputed(row, detail=guess) not in seen



def test_the_admin_sees_no_head_hash_of_an_entry_about_a_client(app, clinic, demo):
    """The head on /audit is the newest entry's hash: when that entry is
    about a client, the admin sees the newest hash of one they see in full."""
    from minorconsent.audit import note
    admin = sign_in(app, ROLE_EMAILS['admin'])
    app.registry.audit_recorder.flush()
    with clinic() as c:
        note(c['clients'][demo.mateo], 'disclosure.record', detail='abuse to agency',
             actor=demo.user_ids['therapist'], role='therapist')
    app.registry.audit_recorder.flush()
    page = admin.get('/audit').text
    officer = sign_in(app, ROLE_EMAILS['privacy_officer'])
    rows = list(csv.DictReader(io.StringIO(export(officer, action='disclosure.record').text)))
    newest = max(rows, key=lambda row: int(row['seq']))
    assert newest['detail'] == 'abuse to agency'
    assert newest['hash'][:16] not in page
    # The head shown is that of the newest entry the admin sees in full.
    shown = page.split('ends in <code>')[1][:16]
    rows = list(csv.DictReader(io.StringIO(export(officer).text)))
    (match,) = [row for row in rows if row['hash'].startswith(shown)]
    assert not match['record'] and int(match['seq']) < int(newest['seq'])
