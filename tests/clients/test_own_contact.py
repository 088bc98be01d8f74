"""Guardians (and clients) set how the clinic contacts them and their
language from their account page (issue 16, item 5): one choice for all
their records, on the trail, seen by staff at once, never showing the
staff's internal instructions."""
from support import MARKER, ROLE_EMAILS, audit_entries, sign_in

GUARDIAN = ROLE_EMAILS['guardian']      # Elena: Mateo's and Lucia's mother


def contacts(clinic, demo, who='guardian'):
    uid = demo.user_ids[who]
    with clinic() as c:
        return {name: c['clients'][getattr(demo, name)]['guardians'][uid].contact.as_dict()
                | {'own_note': c['clients'][getattr(demo, name)]['guardians'][uid]
                   .contact.own_note}
                for name in ('mateo', 'lucia')}


def test_a_guardian_sets_preferences_for_every_child_and_staff_see_them(app, clinic, demo):
    mother = sign_in(app, GUARDIAN)
    account = mother.get('/password')
    page = account.click(href='contact-preferences')
    # The staff's internal instructions (planted with the marker) never show.
    assert MARKER not in page.text and 'Mobile only' not in page.text
    form = page.forms['form']
    form['email_ok'] = True
    form['sms_ok'] = True
    form['voicemail_ok'] = False
    form['own_note'] = 'Call my mobile only, after 5 pm'
    form['language'] = 'es'
    form.submit(status=302)
    after = contacts(clinic, demo)
    for child in ('mateo', 'lucia'):
        assert after[child]['sms_ok'] is True
        assert after[child]['own_note'] == 'Call my mobile only, after 5 pm'
        assert MARKER in after[child]['instructions']      # staff's, untouched
    with clinic() as c:
        assert c['users'][demo.user_ids['guardian']].language == 'es'
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    card = therapist.get('/clients/%s/' % demo.lucia).text
    assert 'Call my mobile only, after 5 pm' in card and 'Set by the guardian on' in card
    actions = [e for e in audit_entries(app) if e['action'] == 'contact.preferences_set']
    assert {e['record'] for e in actions} == {demo.mateo, demo.lucia}
    assert all('mobile' not in (e['detail'] or '') for e in actions)   # fields, not values


def test_no_on_any_record_shows_as_no_and_saving_makes_them_agree(app, clinic, demo):
    uid = demo.user_ids['guardian']
    with clinic() as c:
        c['clients'][demo.lucia]['guardians'][uid].contact.email_ok = False
    mother = sign_in(app, GUARDIAN)
    form = mother.get('/contact-preferences').forms['form']
    assert not form['email_ok'].checked            # the rule: one "no" is a "no"
    form['email_ok'] = True
    form.submit(status=302)
    assert all(v['email_ok'] for v in contacts(clinic, demo).values())


def test_a_staff_edit_started_before_the_guardians_change_is_stale(app, clinic, demo):
    uid = demo.user_ids['guardian']
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    staff_form = therapist.get('/clients/%s/guardians/%s/edit' % (demo.mateo, uid)).forms['form']
    mother = sign_in(app, GUARDIAN)
    form = mother.get('/contact-preferences').forms['form']
    form['phone_ok'] = False
    form.submit(status=302)
    staff_form['phone_ok'] = True
    assert staff_form.submit(expect_errors=True).status_int == 409
    assert contacts(clinic, demo)['mateo']['phone_ok'] is False


def test_the_client_sets_their_own_and_staff_have_no_such_page(app, clinic, demo):
    teen = sign_in(app, ROLE_EMAILS['adolescent'])
    form = teen.get('/contact-preferences').forms['form']
    form['own_note'] = 'Text me, never call home'
    form.submit(status=302)
    with clinic() as c:
        assert c['clients'][demo.mateo].contact.own_note == 'Text me, never call home'
    assert 'Text me, never call home' in sign_in(app, ROLE_EMAILS['therapist']).get(
        '/clients/%s/' % demo.mateo).text
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    assert therapist.get('/contact-preferences', expect_errors=True).status_int == 404
    assert 'contact-preferences' not in therapist.get('/password').text


def test_bad_input_is_explained_and_changes_nothing(app, clinic, demo):
    mother = sign_in(app, GUARDIAN)
    before = contacts(clinic, demo)
    form = mother.get('/contact-preferences').forms['form']
    form['own_note'] = 'x' * 301
    form['sms_ok'] = True
    res = form.submit(status=400)
    assert 'Longer than maximum length 300' in res.html.select_one('.item-own_note').text
    assert contacts(clinic, demo) == before
