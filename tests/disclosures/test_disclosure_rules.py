"""Disclosures: who may be told what, and what a guardian sees of it."""
from datetime import date, timedelta

import pytest

from minorconsent.disclosures import DisclosureRefused, record_disclosure
from minorconsent.disclosures.releases import ReleaseTerms, is_live, live_releases, start_release
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire
from minorconsent.security.policy import principals_for
from support import ROLE_EMAILS, audit_entries, csrf_of, radio, sign_in, tick

TODAY = date.today()
NOTICE_WORDS = 'we agreed Mateo should not be alone this weekend'


def mateo_of(c, demo):
    return c['clients'][demo.mateo]


def record(c, demo, app, **kw):
    values = dict(reason='harm_self', recipient_kind='guardian', text='Words told.',
                  told_on=TODAY, guardian_id=demo.user_ids['guardian'])
    values.update(kw)
    return record_disclosure(c, mateo_of(c, demo), app.registry, demo.user_ids['therapist'],
                             **values)


def the_release(c, demo):
    return [r for r in live_releases(mateo_of(c, demo))][0]


def test_the_guardian_told_sees_exactly_the_words_and_nobody_else_does(app, demo):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get('/clients/%s/family' % demo.mateo)
    assert NOTICE_WORDS in page.text
    notices = page.html.select('section[aria-labelledby=notices-h] article')
    assert len(notices) == 1     # not the report, not the father's, not the release's
    # Her other child has no notice.
    assert 'Safety notices' not in mother.get('/clients/%s/family' % demo.lucia).text
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    assert NOTICE_WORDS not in teen.get('/clients/%s/mine' % demo.mateo).text
    for role in ('guardian_restricted', 'guardian_other'):
        other = sign_in(app, ROLE_EMAILS[role])
        res = other.get('/clients/%s/family' % demo.mateo, expect_errors=True)
        assert res.status_int == 404 and NOTICE_WORDS not in res.text


def test_a_notice_waits_for_the_supervisor_sign_off(app, demo, clinic):
    with clinic() as c:
        disclosure = record(c, demo, app, text='Safety plan agreed on the phone.')
        assert disclosure.state == 'awaiting_signoff'   # Mateo's therapist has a supervisor
        ref = disclosure.__name__
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert 'Safety plan agreed' not in mother.get('/clients/%s/family' % demo.mateo).text
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    page = supervisor.get('/clients/%s/disclosures/%s/' % (demo.mateo, ref))
    supervisor.post(page.request.path + 'step', {'csrf_token': csrf_of(page), 'step': 'sign_off'},
                    status=302)
    assert 'Safety plan agreed' in mother.get('/clients/%s/family' % demo.mateo).text
    actions = [e['action'] for e in audit_entries(app) if e['record'] == demo.mateo]
    assert 'disclosure.record' in actions and 'workflow.transition' in actions


def test_without_a_supervisor_the_system_records_it_at_once(app, demo, clinic):
    with clinic() as c:
        c['users'][demo.user_ids['therapist']].supervisor_id = None
        assert record(c, demo, app).state == 'recorded'


def test_outside_the_family_only_safety_reasons_or_a_live_release(app, demo, clinic):
    with clinic() as c:
        for reason in ('other', 'authorized'):
            with pytest.raises(DisclosureRefused) as refused:
                record(c, demo, app, reason=reason, recipient_kind='third_party',
                       recipient_name='An uncle', guardian_id=None,
                       justification='He asked nicely, twice.')
            assert refused.value.field in ('reason', 'release')
        for reason in ('harm_others', 'abuse', 'court_order', 'harm_self'):
            record(c, demo, app, reason=reason, recipient_kind='agency',
                   recipient_name='County services', guardian_id=None)
        with pytest.raises(DisclosureRefused) as refused:
            record(c, demo, app, reason='abuse', recipient_kind='agency', guardian_id=None)
        assert refused.value.field == 'recipient_name'


def test_a_release_shares_only_the_items_it_names(app, demo, clinic):
    with clinic() as c:
        release = the_release(c, demo)
        assert release.terms.items == ('attendance', 'goals')
        with pytest.raises(DisclosureRefused) as refused:
            record(c, demo, app, reason='authorized', recipient_kind='third_party',
                   guardian_id=None, release=release, items=('attendance', 'diagnosis'))
        assert refused.value.field == 'items' and 'Diagnosis' in str(refused.value)
        done = record(c, demo, app, reason='authorized', recipient_kind='third_party',
                      guardian_id=None, release=release, items=('attendance',),
                      recipient_name='Someone typed by mistake')
        assert done.recipient_name == release.terms.recipient   # named by the release
        assert done.items == ('attendance',)


def test_a_revoked_or_expired_release_stops_disclosures_at_once(app, demo, clinic):
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    with clinic() as c:
        ref = the_release(c, demo).__name__
    page = mother.get('/clients/%s/agreements/%s/family' % (demo.mateo, ref))
    form = page.forms['revoke']
    form['comment'] = 'We changed doctors.'
    form.submit(status=302)
    with clinic() as c:
        release = mateo_of(c, demo)['agreements'][ref]
        assert release.state == 'revoked' and not is_live(release)
        with pytest.raises(DisclosureRefused) as refused:
            record(c, demo, app, reason='authorized', recipient_kind='third_party',
                   guardian_id=None, release=release, items=('attendance',))
        assert refused.value.field == 'release'
    with clinic() as c:
        client = mateo_of(c, demo)
        fresh = start_release(c, client, demo.user_ids['therapist'], ReleaseTerms(
            'School counselor', 'third_party', ('attendance',), 'Scheduling',
            TODAY + timedelta(days=1)))
        fresh.state = 'active'     # as if signed
        assert is_live(fresh, TODAY) and not is_live(fresh, TODAY + timedelta(days=2))
        with pytest.raises(DisclosureRefused):
            record_disclosure(c, client, app.registry, demo.user_ids['therapist'],
                              'authorized', 'third_party', 'Dates.', TODAY, release=fresh,
                              items=('attendance',), today=TODAY + timedelta(days=2))


def test_bad_input_is_explained_next_to_the_field_and_changes_nothing(app, demo, clinic):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    path = '/clients/%s/add-disclosure' % demo.mateo
    with clinic() as c:
        before = len(mateo_of(c, demo)['disclosures'])
    form = therapist.get(path).forms['form']
    form['reason'] = 'other'
    form[radio(form)] = 'guardian'
    form['guardian_id'] = demo.user_ids['guardian']
    form['told_on'] = TODAY.isoformat()
    form['text'] = 'Told about the schedule.'
    res = form.submit(status=400)
    assert 'Write why this disclosure was justified.' in res.text
    form = res.forms['form']
    form['told_on'] = (TODAY + timedelta(days=3)).isoformat()
    form['justification'] = 'Asked by the parent about attendance.'
    res = form.submit(status=400)
    assert 'The date cannot be in the future.' in res.text
    form = res.forms['form']
    form[radio(form)] = 'third_party'
    form['recipient_name'] = 'A neighbour'
    form['told_on'] = TODAY.isoformat()
    res = form.submit(status=400)
    assert 'only under a live release' in res.text
    with clinic() as c:
        assert len(mateo_of(c, demo)['disclosures']) == before
    form = res.forms['form']
    form[radio(form)] = 'guardian'
    res = form.submit(status=302).follow()
    assert 'Told about the schedule.' in res.text and 'Awaiting supervisor sign-off' in res.text


def test_staff_page_lists_disclosures_releases_and_requests(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    page = therapist.get('/clients/%s/sharing' % demo.mateo)
    assert 'Dr. Demo Pediatrician' in page.text and 'Live' in page.text
    assert 'Suspected abuse or neglect' in page.text
    assert 'neither confirm nor deny' in page.text
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    listing = supervisor.get('/clients/%s/sharing' % demo.mateo)
    assert 'Record a disclosure' not in listing.text     # supervisors read, sign off


def test_a_release_is_prepared_sent_and_signed_by_the_consenting_party(app, demo, clinic):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get('/clients/%s/add-release' % demo.lucia).forms['form']
    form['recipient'] = 'Ms. Demo, school counselor'
    form[radio(form)] = 'third_party'
    tick(form, 'attendance')
    form['purpose'] = 'Arranging quiet time at school'
    form['expires_on'] = (TODAY - timedelta(days=1)).isoformat()
    res = form.submit(status=400)
    assert 'The end date must be in the future.' in res.text
    form = res.forms['form']
    form['expires_on'] = (TODAY + timedelta(days=90)).isoformat()
    page = form.submit(status=302).follow()
    assert 'Ms. Demo, school counselor' in page.text and 'Dates of attendance' in page.text
    with clinic() as c:
        release = [a for a in c['clients'][demo.lucia]['agreements'].values()
                   if a.kind == 'release'][0]
        assert release.required_guardians == (demo.user_ids['guardian'],)
        assert 'Purpose: Arranging quiet time at school' in release.text
        therapist_user = c['users'][demo.user_ids['therapist']]
        fire(release, 'send', Actor(therapist_user.__name__, principals_for(therapist_user)),
             workflow_guards(app.registry))
        ref = release.__name__
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    assert 'Release of information' in mother.get('/clients/%s/family' % demo.lucia).text
    page = mother.get('/clients/%s/agreements/%s/family' % (demo.lucia, ref))
    assert 'Ms. Demo, school counselor' in page.text


def test_a_disclosure_cannot_be_dated_before_its_release(app, demo, clinic):
    with clinic() as c:
        release = the_release(c, demo)
        with pytest.raises(DisclosureRefused) as refused:
            record(c, demo, app, reason='authorized', recipient_kind='third_party',
                   guardian_id=None, release=release, items=('attendance',),
                   told_on=TODAY - timedelta(days=30))
        assert refused.value.field == 'told_on'
        other = c['clients'][demo.lucia]
        with pytest.raises(DisclosureRefused) as refused:
            record_disclosure(c, other, app.registry, demo.user_ids['therapist'],
                              'authorized', 'third_party', 'Dates.', TODAY, release=release,
                              items=('attendance',))
        assert refused.value.field == 'release'
