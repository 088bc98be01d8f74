"""The insurer export holds the whitelisted fields and nothing else."""
import contextlib
import csv
import io
from datetime import date, timedelta

import transaction
from hypothesis import HealthCheck, given, settings, strategies as st

from minorconsent.disclosures.insurer import COLUMNS, ICD10, as_csv, insurer_view
from minorconsent.site import bootstrap_clinic
from support import ROLE_EMAILS, audit_entries, sign_in

TODAY = date.today()
SECRET = st.text(alphabet='abcdefghjkmnpqrstuvwxyzXYZ', min_size=10, max_size=20).map(
    lambda s: 'QX' + s)


def export(therapist, demo, first=None, last=None, status=200):
    form = therapist.get('/clients/%s/insurer-export' % demo.mateo).forms['form']
    form['insurer'] = 'Demo Health Plan'
    form['first_day'] = (first or TODAY - timedelta(days=365)).isoformat()
    form['last_day'] = (last or TODAY).isoformat()
    return form.submit(status=status)


def test_the_export_is_a_csv_of_whitelisted_columns_and_is_recorded(app, demo, clinic):
    with clinic() as c:
        before = set(c['clients'][demo.mateo]['disclosures'].keys())
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    res = export(therapist, demo)
    assert res.content_type == 'text/csv'
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert rows and tuple(rows[0]) == COLUMNS
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        assert {row['diagnosis_codes'] for row in rows} == {' '.join(mateo.diagnosis_codes)}
        assert 'F41.1' in mateo.diagnosis_codes
        days = sorted(n.session_date.isoformat() for n in mateo['notes'].values())
        assert [row['date_of_service'] for row in rows] == days
        # The export just made (the seed recorded one too, and ids are
        # random: found as the one disclosure that is new).
        made = [d for key, d in mateo['disclosures'].items() if key not in before]
        assert len(made) == 1 and made[0].reason == 'insurer'
        assert made[0].text == res.text          # exactly what left
        assert made[0].recipient_name == 'Demo Health Plan'
    assert any(e['action'] == 'disclosure.record' and e['detail'] == 'insurer to insurer'
               for e in audit_entries(app))


def test_an_empty_period_or_backwards_dates_are_refused(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    res = export(therapist, demo, first=date(2001, 1, 1), last=date(2001, 2, 1), status=400)
    assert 'No sessions are recorded in this period.' in res.text
    res = export(therapist, demo, first=TODAY, last=TODAY - timedelta(days=3), status=400)
    assert 'The end date is before the start date.' in res.text


#: What the export may carry, generated: ICD-10-CM-shaped codes and
#: medication lines (distinct from the secrets' ``QX`` prefix).
CODE = st.builds(lambda letter, digits, tail: '%s%02d.%s' % (letter, digits, tail),
                 st.sampled_from('ABCDEFGHJKLMNPQRSTVWXYZ'), st.integers(0, 99),
                 st.text(alphabet='0123456789ABCDEFGHJKLMNPQRSTVWXYZ', min_size=4, max_size=4))
MEDICATION = st.text(alphabet='abcdefghjkmnpqrstuvwxyz', min_size=8, max_size=16).map(
    lambda s: 'MED' + s + ' 10 mg')


@contextlib.contextmanager
def scratch(app):
    """The clinic in a transaction that is always aborted: each example
    plants into the seeded data afresh, and nothing it wrote is left."""
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = app.db.open(transaction_manager=tm)
    try:
        yield bootstrap_clinic(conn.root(), app.registry)
    finally:
        tm.abort()
        conn.close()


def plant_everywhere(clinic, client, secrets):
    """Write a secret into every field of ``client`` (and of what hangs off
    it) that the insurer must not receive; return the secrets planted."""
    it = iter(secrets)
    planted = []

    def put(obj, attr):
        planted.append(next(it))
        setattr(obj, attr, planted[-1])
    for attr in ('diagnosis', 'preferred_name'):
        put(client, attr)
    put(client.contact, 'instructions')
    for goal in client['goals'].values():
        for attr in ('parent_title', 'parent_description', 'clinical_text'):
            put(goal, attr)
    for note in client['notes'].values():
        put(note, 'text')
    for gid, link in client['guardians'].items():
        put(link, 'restriction_note')
        put(link.contact, 'instructions')
        put(clinic['users'][gid], 'display_name')          # the guardian's name
    for summary in client['summaries'].values():
        for attr in ('period', 'parent_text', 'review_comment'):
            put(summary, attr)
    for disclosure in client['disclosures'].values():
        for attr in ('text', 'justification', 'recipient_name'):
            put(disclosure, attr)
    for request in client['requests'].values():
        for attr in ('requester', 'asked_for', 'note'):
            put(request, attr)
    return planted


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secrets=st.lists(SECRET, min_size=80, max_size=80, unique=True),
       codes=st.lists(CODE, min_size=1, max_size=3, unique=True),
       medications=st.lists(MEDICATION, min_size=1, max_size=3, unique=True))
def test_no_other_field_can_reach_the_export(app, demo, secrets, codes, medications):
    """Secrets in every field the projection must not read (goal wording
    for parents and clinicians, notes, guardians' names and contact notes,
    summaries, disclosures, requests): none comes out.  What it must read
    (codes, medications, dates of service, and the legal name and date of
    birth that match the claim) does, in every row."""
    with scratch(app) as c:
        mateo = c['clients'][demo.mateo]
        planted = plant_everywhere(c, mateo, secrets)
        assert len(planted) > 30              # every folder above had something
        mateo.diagnosis_codes = tuple(codes)
        mateo.medications = tuple(medications)
        assert all(ICD10.match(code) for code in codes)
        view = insurer_view(mateo, date(2000, 1, 1), TODAY)
        text = as_csv(view)
        for shown in (repr(view), text):
            for secret in planted:
                assert secret not in shown
        rows = list(csv.DictReader(io.StringIO(text)))
        assert tuple(rows[0]) == COLUMNS
        assert [row['date_of_service'] for row in rows] == sorted(
            n.session_date.isoformat() for n in mateo['notes'].values())
        for row in rows:
            assert row['diagnosis_codes'].split() == codes
            assert row['medications'].split('; ') == medications
            assert row['legal_name'] == '%s %s' % (mateo.first_name, mateo.last_name)
            assert row['date_of_birth'] == mateo.date_of_birth.isoformat()
            assert row['client_reference'] == demo.mateo


def test_a_formula_in_a_free_text_field_is_neutralised(app, demo, clinic):
    with clinic() as c:
        c['clients'][demo.mateo].medications = ('=HYPERLINK("http://x.test")',)
    res = export(sign_in(app, ROLE_EMAILS['therapist']), demo)
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert rows[0]['medications'] == '\'=HYPERLINK("http://x.test")'
