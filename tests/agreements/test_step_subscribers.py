"""What an agreement's steps set off, fired through the engine itself (no
page): ``minorconsent/agreements/subscribers.py``."""
from types import SimpleNamespace

import pytest

from minorconsent.agreements import start_agreement, subscribers
from minorconsent.agreements.model import Signature
from minorconsent.security.policy import principals_for
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire


def as_actor(user):
    return Actor(user.__name__, principals_for(user))


def signed_by(agreement, user, role='guardian'):
    """A signature put in place by hand: the steps here are fired directly."""
    agreement.signatures[user.__name__] = Signature(
        user.__name__, user.display_name, role, 'mother', 'test', agreement.created, '', '',
        agreement.template_version, agreement.text_sha256, True, True)


def ava_consent(c, demo):
    """Ava's consent, sent by the seed and waiting for her parent."""
    (consent,) = [a for a in c['clients'][demo.ava]['agreements'].values()
                  if a.kind == 'consent']
    assert consent.state == 'sent'
    return consent


@pytest.fixture
def mailed(monkeypatch):
    """The invitations and therapist notes the subscriber would mail,
    with a request signed in as whoever ``request.user`` names."""
    calls = []
    request = SimpleNamespace(authenticated_userid=None, client_addr='192.0.2.44',
                              user_agent='StepBrowser/2')
    monkeypatch.setattr(subscribers, 'get_current_request', lambda: request)
    monkeypatch.setattr(subscribers, 'invite_signers',
                        lambda req, agreement: calls.append(('invite', agreement.__name__)))
    return SimpleNamespace(calls=calls, request=request)


def test_sending_records_the_step_and_invites_the_signers(app, clinic, demo, mailed):
    with clinic() as c:
        therapist = c['users'][demo.user_ids['therapist']]
        mailed.request.authenticated_userid = therapist.__name__
        agreement = start_agreement(c, c['clients'][demo.lucia], 'consent', therapist.__name__)
        fire(agreement, 'send', as_actor(therapist), workflow_guards(app.registry))
        last = agreement.event_list()[-1]
        assert (last.kind, last.actor_id, last.ip, last.user_agent) == (
            'sent', therapist.__name__, '192.0.2.44', 'StepBrowser/2')
        assert mailed.calls == [('invite', agreement.__name__)]


def test_a_replayed_or_scripted_send_invites_nobody(app, clinic, demo, mailed):
    """The demo seed sends agreements inside its script's request, signed
    in as nobody, and prints the links instead of mailing them."""
    with clinic() as c:
        therapist = c['users'][demo.user_ids['therapist']]
        lucia = c['clients'][demo.lucia]
        scripted = start_agreement(c, lucia, 'consent', therapist.__name__)
        fire(scripted, 'send', as_actor(therapist), workflow_guards(app.registry))
        mailed.request.authenticated_userid = therapist.__name__
        replayed = start_agreement(c, lucia, 'confidentiality', therapist.__name__)
        fire(replayed, 'propose', as_actor(therapist), workflow_guards(app.registry),
             announce=False)
        assert [e.kind for e in scripted.event_list()][-1] == 'sent'
        assert scripted.event_list()[-1].ip == ''
        assert [e.kind for e in replayed.event_list()][-1] == 'sent'
        assert mailed.calls == []


def test_activation_stores_the_pdf_cancels_invitations_and_supersedes(app, clinic, demo):
    with clinic() as c:
        users = c['users']
        therapist, mother = users[demo.user_ids['therapist']], users[demo.user_ids['guardian']]
        lucia = c['clients'][demo.lucia]
        (older,) = [a for a in lucia['agreements'].values()
                    if a.kind == 'consent' and a.state == 'active']
        guards = workflow_guards(app.registry)
        newer = start_agreement(c, lucia, 'consent', therapist.__name__)
        fire(newer, 'send', as_actor(therapist), guards)
        c.invitations.issue(newer, mother, 7)
        signed_by(newer, mother)
        fire(newer, 'activate', Actor.system(), guards)
        assert newer.state == 'active' and newer.pdf is not None and newer.pdf_sha256
        assert [(e.kind, e.actor_id) for e in newer.event_list()][-1] == ('activated', 'system')
        assert [i.status() for i in c.invitations.for_agreement(newer)] == ['cancelled']
        assert older.state == 'superseded'
        last = older.event_list()[-1]
        assert (last.kind, last.actor_id, last.detail) == (
            'superseded', 'system', 'by a newer version')


def test_a_declined_agreement_cancels_its_links(app, clinic, demo, mailed):
    """(The therapists are told by the worklist room's staff notices:
    tests/worklist.)"""
    with clinic() as c:
        parent = c['users'][demo.user_ids['guardian_other']]
        mailed.request.authenticated_userid = parent.__name__
        consent = ava_consent(c, demo)
        assert 'valid' in [i.status() for i in c.invitations.for_agreement(consent)]
        fire(consent, 'decline', as_actor(parent), workflow_guards(app.registry))
        assert consent.event_list()[-1].kind == 'declined'
        assert 'valid' not in [i.status() for i in c.invitations.for_agreement(consent)]
        assert mailed.calls == []


def test_a_subscriber_that_raises_aborts_the_step(app, clinic, demo, monkeypatch):
    def broken(agreement):
        raise RuntimeError('the PDF could not be rendered')
    monkeypatch.setattr(subscribers, 'store_pdf', broken)
    with pytest.raises(RuntimeError):
        with clinic() as c:
            consent = ava_consent(c, demo)
            signed_by(consent, c['users'][demo.user_ids['guardian_other']])
            fire(consent, 'activate', Actor.system(), workflow_guards(app.registry))
    with clinic() as c:
        consent = ava_consent(c, demo)
        assert consent.pdf is None and not consent.signatures
        assert 'activated' not in [e.kind for e in consent.event_list()]
        assert 'valid' in [i.status() for i in c.invitations.for_agreement(consent)]
