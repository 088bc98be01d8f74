"""The insurer export holds the whitelisted fields and nothing else."""
import csv
import io
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings, strategies as st

from minorconsent.disclosures.insurer import COLUMNS, as_csv, insurer_view
from support import ROLE_EMAILS, audit_entries, clinic_of, sign_in

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
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    res = export(therapist, demo)
    assert res.content_type == 'text/csv'
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert rows and tuple(rows[0]) == COLUMNS
    assert {row['diagnosis_codes'] for row in rows} == {'F41.1'}
    with clinic() as c:
        mateo = c['clients'][demo.mateo]
        days = sorted(n.session_date.isoformat() for n in mateo['notes'].values())
        assert [row['date_of_service'] for row in rows] == days
        recorded = [d for d in mateo['disclosures'].values() if d.reason == 'insurer']
        assert recorded[-1].text == res.text          # exactly what left
        assert recorded[-1].recipient_name == 'Demo Health Plan'
    assert any(e['action'] == 'disclosure.record' and e['detail'] == 'insurer to insurer'
               for e in audit_entries(app))


def test_an_empty_period_or_backwards_dates_are_refused(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    res = export(therapist, demo, first=date(2001, 1, 1), last=date(2001, 2, 1), status=400)
    assert 'No sessions are recorded in this period.' in res.text
    res = export(therapist, demo, first=TODAY, last=TODAY - timedelta(days=3), status=400)
    assert 'The end date is before the start date.' in res.text


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secrets=st.lists(SECRET, min_size=40, max_size=40, unique=True))
def test_no_other_field_can_reach_the_export(app, demo, secrets):
    """Secrets in every field the projection must not read; none comes out."""
    it = iter(secrets)
    planted = []

    def put(obj, attr):
        planted.append(next(it))
        setattr(obj, attr, planted[-1])
    with clinic_of(app.db, app.registry) as c:
        mateo = c['clients'][demo.mateo]
        for attr in ('diagnosis', 'preferred_name'):
            put(mateo, attr)
        put(mateo.contact, 'instructions')
        for goal in mateo['goals'].values():
            put(goal, 'clinical_text')
            put(goal, 'parent_text')
        for note in mateo['notes'].values():
            put(note, 'text')
        for link in mateo['guardians'].values():
            put(link, 'restriction_note')
        for summary in mateo['summaries'].values():
            put(summary, 'parent_text')
            put(summary, 'review_comment')
        for disclosure in mateo['disclosures'].values():
            put(disclosure, 'text')
        view = insurer_view(mateo, date(2000, 1, 1), TODAY)
        shown = repr(view)
        for secret in planted:
            assert secret not in shown
        text = as_csv(view)
        for secret in planted:
            assert secret not in text


def test_a_formula_in_a_free_text_field_is_neutralised(app, demo, clinic):
    with clinic() as c:
        c['clients'][demo.mateo].medications = ('=HYPERLINK("http://x.test")',)
    res = export(sign_in(app, ROLE_EMAILS['therapist']), demo)
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert rows[0]['medications'] == '\'=HYPERLINK("http://x.test")'
