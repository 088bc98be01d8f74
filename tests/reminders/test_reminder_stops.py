"""Reminders stop as soon as a person may or must no longer sign, or may
not be mailed, and the staff record says why in plain words (issue 17
item 2; bad input: no email, a bounced address, a link restricted
mid-sequence)."""
import time
from datetime import date

import pytest

from minorconsent.agreements import act, sign, start_agreement
from minorconsent.clients import unlink_guardian, update_guardian_link
from minorconsent.reminders.model import STOP_WORDS, pause, resume, standings
from minorconsent.security.policy import principals_for
from minorconsent.workflow.engine import Actor

from support import ROLE_EMAILS
from reminder_support import day, fake_request, mails, send_consent

MOTHER = ROLE_EMAILS['guardian']
AUNT = 'aunt.reminded@demo.test'


def restricted(c, client, mother):
    update_guardian_link(c, client, client['guardians'][mother.__name__], restricted=True)


def no_authority(c, client, mother):
    update_guardian_link(c, client, client['guardians'][mother.__name__], legal_authority=False)


def unlinked(c, client, mother):
    unlink_guardian(c, client, mother.__name__)


def of_age(c, client, mother):
    born = date.today()
    client.date_of_birth = born.replace(year=born.year - c.settings.age_of_majority)


def no_email(c, client, mother):
    client['guardians'][mother.__name__].contact.email_ok = False


def no_email_elsewhere(c, client, mother):
    """A "no email" on her link to her other child is a no for every mail."""
    (other,) = [k for k in c['clients'].children_of(mother.__name__) if k is not client]
    other['guardians'][mother.__name__].contact.email_ok = False


def undeliverable(c, client, mother):
    mother.mail_undeliverable = date.today()   # the worklist's bounce task sets it


def no_address(c, client, mother):
    mother.email = ''


def disabled(c, client, mother):
    mother.active = False


def paused(c, client, mother):
    pause(c, client, 'Custody dispute', 'therapist-id')


CHANGES = [(restricted, 'restricted'), (no_authority, 'no authority'), (unlinked, 'unlinked'),
           (of_age, 'of age'), (no_email, 'no email'), (no_email_elsewhere, 'no email'),
           (undeliverable, 'undeliverable'), (no_address, 'no address'),
           (disabled, 'disabled'), (paused, 'paused')]


@pytest.mark.parametrize('change,reason', CHANGES, ids=[c[0].__name__ for c in CHANGES])
def test_a_change_mid_sequence_stops_the_reminders_and_says_why(
        app, clinic, demo, in_request, daily, change, reason):
    """The aunt is a second signer: her reminders go on (so the task did
    run) unless the change is the whole family's (of age, paused); the
    mother's stop from the first one after the change."""
    ref, tokens = in_request(lambda c, r: send_consent(
        c, app.registry, demo.lucia, demo.user_ids['therapist'], aunt=True, custody='all'))
    since = time.time_ns()
    daily(day(3))
    assert len(mails(since, MOTHER)) == 1 and len(mails(since, AUNT)) == 1
    with clinic() as c:
        change(c, c['clients'][demo.lucia], c['users'][demo.user_ids['guardian']])
    since = time.time_ns()
    daily(day(10))
    assert mails(since, MOTHER) == []
    assert len(mails(since, AUNT)) == (0 if reason in ('of age', 'paused') else 1)
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        (mother,) = [s for s in standings(fake_request(c, app.registry), agreement)
                     if s.person_id == demo.user_ids['guardian']]
        assert mother.reason == reason and mother.next_due is None and mother.count == 1
        assert mother.why == STOP_WORDS[reason]
        record = c.reminders.get(agreement, demo.user_ids['guardian'])
        assert record.stopped == reason and record.count == 1


def test_signing_stops_that_persons_reminders_only(app, clinic, demo, in_request, daily):
    ref, tokens = in_request(lambda c, r: send_consent(
        c, app.registry, demo.lucia, demo.user_ids['therapist'], aunt=True, custody='all'))
    daily(day(3))
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        mother = c['users'][demo.user_ids['guardian']]
        sign(c, app.registry, agreement, mother, principals_for(mother), mother.display_name,
             True, True, agreement.text_sha256)
        assert agreement.state == 'sent'             # the aunt has not signed
        assert c.reminders.get(agreement, mother.__name__).stopped == 'signed'
    since = time.time_ns()
    daily(day(10))
    assert mails(since, MOTHER) == [] and len(mails(since, AUNT)) == 1
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        reasons = {s.person_id: s.reason for s in standings(fake_request(c, app.registry),
                                                             agreement)}
        assert reasons[demo.user_ids['guardian']] == 'signed'
        assert list(reasons.values()).count('') == 1          # the aunt's go on


def test_declining_ends_the_agreements_reminders(app, clinic, demo, in_request, daily):
    ref, tokens = in_request(lambda c, r: send_consent(
        c, app.registry, demo.lucia, demo.user_ids['therapist'], aunt=True, custody='all'))
    daily(day(3))
    with clinic() as c:
        agreement = c['clients'][demo.lucia]['agreements'][ref]
        mother = c['users'][demo.user_ids['guardian']]
        act(agreement, app.registry, 'decline', Actor(mother.__name__, principals_for(mother)))
        assert agreement.state == 'declined'
        assert {r.stopped for r in c.reminders.for_agreement(agreement)} == {'declined'}
    since = time.time_ns()
    for n in (10, 17, 24):
        daily(day(n))
    assert mails(since, MOTHER) == [] and mails(since, AUNT) == []


def test_a_guardian_who_withdrew_their_consent_is_not_reminded_of_the_next(
        app, clinic, demo, in_request, daily):
    """Mateo's mother signed his consent; a new one waits (her and his
    assent); she withdraws the one in force: no reminder of the new one."""
    def setup(c, request):
        mateo = c['clients'][demo.mateo]
        therapist = c['users'][demo.user_ids['therapist']]
        new = start_agreement(c, mateo, 'consent', therapist.__name__)
        act(new, app.registry, 'send', Actor(therapist.__name__, principals_for(therapist)))
        mother = c['users'][demo.user_ids['guardian']]
        old = mateo['agreements'][demo.mateo_consent]
        act(old, app.registry, 'revoke', Actor(mother.__name__, principals_for(mother)),
            comment='We are moving.')
        return new.__name__
    ref = in_request(setup)
    since = time.time_ns()
    daily(day(3))
    assert mails(since, MOTHER) == []
    assert len(mails(since, ROLE_EMAILS['adolescent'])) == 1      # his assent is still asked
    with clinic() as c:
        agreement = c['clients'][demo.mateo]['agreements'][ref]
        reasons = {s.person_id: s.reason for s in standings(fake_request(c, app.registry),
                                                             agreement)}
        assert reasons[demo.user_ids['guardian']] == 'revoked'


def test_a_resumed_family_is_reminded_again(app, clinic, demo, in_request, daily):
    in_request(lambda c, r: send_consent(c, app.registry, demo.lucia,
                                         demo.user_ids['therapist']))
    with clinic() as c:
        pause(c, c['clients'][demo.lucia], 'Custody dispute', demo.user_ids['therapist'])
    since = time.time_ns()
    daily(day(3))
    assert mails(since, MOTHER) == []
    with clinic() as c:
        resume(c, c['clients'][demo.lucia], demo.user_ids['therapist'], 'Settled')
    daily(day(4))
    assert len(mails(since, MOTHER)) == 1
