"""Invitations follow who may sign *now* (second review's findings)."""
import time

from minorconsent.clients import unlink_guardian, update_guardian_link
from support import ROLE_EMAILS, csrf_of, new_browser, sign_in
from test_invitations import link_in, mails_to, send_new_consent


def aunt_invited(app, clinic, demo):
    from minorconsent.accounts import User
    from minorconsent.clients import link_guardian
    with clinic() as c:
        aunt = User('aunt.two@demo.test', 'Aunt Two', ['guardian'])
        c['users'].add_user(aunt)
        link_guardian(c, c['clients'][demo.lucia], aunt, 'legal-guardian', True)
    since = time.time_ns()
    therapist, path, ref = send_new_consent(app, clinic, demo, demo.lucia)
    (message,) = mails_to('aunt.two@demo.test', since)
    return therapist, path, ref, aunt.__name__, link_in(message)


def test_a_guardian_restricted_after_the_invitation_cannot_use_it_or_be_invited(app, clinic,
                                                                                demo):
    therapist, path, ref, aunt_id, link = aunt_invited(app, clinic, demo)
    with clinic() as c:
        client = c['clients'][demo.lucia]
        update_guardian_link(c, client, client['guardians'][aunt_id], restricted=True)
    assert 'no longer valid' in new_browser(app).get(link, status=410).text
    since = time.time_ns()
    page = therapist.get(path)
    therapist.post(path + 'invitations', {'csrf_token': csrf_of(page), 'action': 'resend'})
    assert mails_to('aunt.two@demo.test', since) == []
    with clinic() as c:
        assert c['users'][aunt_id].password_hash is None


def test_unlinked_or_readdressed_guardians_lose_their_link(app, clinic, demo):
    therapist, path, ref, aunt_id, link = aunt_invited(app, clinic, demo)
    with clinic() as c:
        c['users'].set_email(c['users'][aunt_id], 'corrected.aunt@demo.test')
    assert 'no longer valid' in new_browser(app).get(link, status=410).text


def test_an_unlinked_guardian_loses_their_link(app, clinic, demo):
    therapist, path, ref, aunt_id, link = aunt_invited(app, clinic, demo)
    with clinic() as c:
        unlink_guardian(c, c['clients'][demo.lucia], aunt_id)
    assert 'no longer valid' in new_browser(app).get(link, status=410).text


def test_links_stop_when_the_agreement_stops_waiting(app, clinic, demo):
    therapist, path, ref, aunt_id, link = aunt_invited(app, clinic, demo)
    mother = sign_in(app, ROLE_EMAILS['guardian'])
    page = mother.get(path + 'family')
    mother.post(path + 'family', {'csrf_token': csrf_of(page), 'decline': 'yes'})
    assert 'no longer valid' in new_browser(app).get(link, status=410).text


def test_only_the_clients_therapists_manage_invitations(app, clinic, demo):
    therapist, path, ref, aunt_id, link = aunt_invited(app, clinic, demo)
    supervisor = sign_in(app, ROLE_EMAILS['supervisor'])
    page = supervisor.get(path)
    res = supervisor.post(path + 'invitations', {'csrf_token': csrf_of(page), 'action': 'cancel'},
                          expect_errors=True)
    assert res.status_int == 404
    assert new_browser(app).get(link).status_int == 200        # still valid


def test_no_invitation_email_for_a_guardian_who_refuses_email(app, clinic, demo):
    with clinic() as c:
        c['clients'][demo.lucia]['guardians'][demo.user_ids['guardian']].contact.email_ok = False
    since = time.time_ns()
    therapist, path, ref = send_new_consent(app, clinic, demo, demo.lucia)
    assert mails_to(ROLE_EMAILS['guardian'], since) == []
    assert 'does not accept email' in therapist.get(path).text


def test_assent_asked_for_holds_the_consent_until_the_teen_signs(app, clinic, demo):
    from minorconsent.agreements import act, sign, start_agreement
    from minorconsent.security.policy import principals_for
    from minorconsent.workflow.engine import Actor
    with clinic() as c:
        users = c['users']
        therapist, mother = users[demo.user_ids['therapist']], users[demo.user_ids['guardian']]
        teen = users[demo.user_ids['adolescent']]
        agreement = start_agreement(c, c['clients'][demo.mateo], 'consent', therapist.__name__)
        assert agreement.assent_required
        act(agreement, app.registry, 'send', Actor(therapist.__name__, principals_for(therapist)))
        for person in (mother, teen):
            sign(c, app.registry, agreement, person, principals_for(person), person.display_name,
                 True, True, agreement.text_sha256)
            assert agreement.state == ('sent' if person is mother else 'active')


def test_malformed_urls_answer_400(app):
    res = new_browser(app).get('/invite/%ff', expect_errors=True)
    assert res.status_int == 400 and 'not valid' in res.text
