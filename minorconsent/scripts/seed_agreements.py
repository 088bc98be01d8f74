"""Agreements for the generated clients (``minorconsent-seed --agreements``):
a year of a clinic's consents as the daily job finds them on a normal day.

Why: the generated clients of ``seed`` have no agreements, so the daily
job (reminders, renewals, expiries, the hand-over at majority) has nothing
to do on them and a benchmark of it on 50,000 clients (issue 17,
bench/daily.py) would measure nothing.  Here every step goes through the
agreements room's own functions (``start_agreement``, the workflow's
``fire``, ``sign``, ``send_successor``, ``Invitations.issue``), so the
workflow records' ``by_state`` index, the periods, the stored PDFs, the
supersessions and the audit entries are what a real clinic would hold.

Each generated client, from its own random source (the default seed is
unchanged), gets one of:

* ``WAITING``: a consent sent 0 to 20 days ago and not signed yet (with two
  guardians, half the time one of them signed): reminders fall due, some
  invitations (7 days) have expired;
* ``DECLINED``: a consent its guardian declined;
* otherwise a consent in force, signed by every guardian on a day spread
  over the past year, so its renewal and its expiry fall on every day of
  the coming year.  One whose renewal was due before today had it sent on
  its day, as the daily job does (``send_successor``, ``renewal_handled``,
  the "renewal sent" event, invitations), and signed within ten days in
  ``RENEWED_SIGNED`` of cases (the successor activates and supersedes it),
  else it still waits for signatures.

Clients 12 and older also get, in ``CONFIDENTIALITY`` of cases, a
confidentiality agreement in force on the same pattern; ``COMING_OF_AGE``
of the clients turn 18 within the next 60 days (the hand-over at
majority).  The moments are the clinic's noon of each day: the steps,
signatures, invitations and ``created`` are dated then (only the
workflow's first history entry, written by ``start_agreement``, keeps the
time the seed ran).  Nothing is mailed (``announce=False``).

No PDF is stored at activation (``pdfs_not_stored``): rendering one takes
about 0.1 s of CPU even with the fonts parsed once per process
(``agreements/fonts_cache.py``), so a 50,000-client clinic would take over
an hour to seed; the daily job never reads
them, and the agreement page says "no signed PDF yet" for these demo
agreements, as for any agreement without one.
"""
import contextlib
import random
from datetime import timedelta

from minorconsent.agreements import sign, start_agreement, subscribers
from minorconsent.agreements.periods import sender_for
from minorconsent.agreements.renewal import send_successor
from minorconsent.agreements.validity import renewal_due_on, valid_until
from minorconsent.security.policy import principals_for
from minorconsent.site.daily import as_of
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import SYSTEM, Actor, fire

from .demo_families import agree_once

#: Shares of the generated clients (see the module's docstring).
WAITING = 0.05
DECLINED = 0.01
RENEWED_SIGNED = 0.6
CONFIDENTIALITY = 0.3
COMING_OF_AGE = 0.01
#: The step that sends each kind, and the state it waits in.
SENDING = {'consent': 'send', 'confidentiality': 'propose'}


@contextlib.contextmanager
def pdfs_not_stored():
    """Activations store no PDF while this lasts (the seed of many demo
    agreements; see the module's docstring)."""
    kept = subscribers.store_pdf
    subscribers.store_pdf = lambda agreement: None
    try:
        yield
    finally:
        subscribers.store_pdf = kept


def as_actor(user):
    return Actor(user.__name__, tuple(principals_for(user)))


class AgreementSeeder:
    """Writes the agreements of one generated client at a time
    (``add(client, guardians, therapist)``), as of ``today``."""

    def __init__(self, clinic, registry, today, seed=17):
        self.clinic = clinic
        self.registry = registry
        self.today = today
        self.rng = random.Random(seed)
        self.guards = workflow_guards(registry)
        self.settings = clinic.settings
        self.counts = {}

    def moment(self, day):
        """The clinic's noon of ``day`` (aware UTC)."""
        return as_of(day, self.settings)

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def add(self, client, guardians, therapist):
        rng = self.rng
        if rng.random() < COMING_OF_AGE:
            # Of age in 1 to 60 days: the daily job hands the file over then.
            birthday = self.today + timedelta(days=rng.randrange(1, 61))
            while birthday.day > 28:       # a day every year has
                birthday += timedelta(days=1)
            client.date_of_birth = birthday.replace(
                year=birthday.year - self.settings.age_of_majority)
            self.clinic['clients'].reindex(client)     # the index keeps birthdays
            self.count('clients of age within 60 days')
        draw = rng.random()
        if draw < WAITING:
            sent = self.today - timedelta(days=rng.randrange(0, 21))
            agreement = self.sent(client, 'consent', therapist, sent)
            if len(guardians) > 1 and rng.random() < 0.5:
                self.signed(agreement, guardians[:1], sent + timedelta(
                    days=rng.randrange(0, (self.today - sent).days + 1)))
                self.count('consents waiting for a second signature')
            else:
                self.count('consents waiting for signatures')
        elif draw < WAITING + DECLINED:
            sent = self.today - timedelta(days=rng.randrange(5, 200))
            agreement = self.sent(client, 'consent', therapist, sent)
            fire(agreement, 'decline', as_actor(guardians[0]), self.guards,
                 now=self.moment(sent + timedelta(days=2)), today=sent + timedelta(days=2),
                 registry=self.registry, announce=False)
            self.count('consents declined')
        else:
            self.in_force(client, 'consent', guardians, therapist)
        if client.age(self.today) >= 12 and rng.random() < CONFIDENTIALITY:
            self.in_force(client, 'confidentiality', guardians, therapist)

    def sent(self, client, kind, therapist, day):
        """A new agreement sent by the therapist on ``day``, its signers
        invited then (the invitation links are not kept: nobody opens them)."""
        moment = self.moment(day)
        agreement = start_agreement(self.clinic, client, kind, therapist.__name__, today=day)
        agreement.created = moment
        fire(agreement, SENDING[kind], as_actor(therapist), self.guards, now=moment,
             today=day, registry=self.registry, announce=False)
        self.invite(agreement, moment)
        return agreement

    def invite(self, agreement, moment):
        users = self.clinic['users']
        for uid in agreement.required_guardians:
            self.clinic.invitations.issue(agreement, users[uid],
                                          self.settings.invitation_days, moment)

    def signed(self, agreement, people, day):
        """Each of ``people`` signs on ``day`` (the last one activates it)."""
        moment = self.moment(day)
        for n, person in enumerate(people):
            agree_once(person)
            sign(self.clinic, self.registry, agreement, person, principals_for(person),
                 person.display_name, True, True, agreement.text_sha256,
                 '192.0.2.%d' % (40 + n), 'minorconsent-seed', now=moment)

    def in_force(self, client, kind, guardians, therapist):
        """Activated on a day of the past year; its renewal played as the
        daily job would have, where it was due before today."""
        rng = self.rng
        activated = self.today - timedelta(days=rng.randrange(1, 366))
        sent = activated - timedelta(days=rng.randrange(0, 6))
        agreement = self.sent(client, kind, therapist, sent)
        self.signed(agreement, guardians, activated)
        assert agreement.state == 'active', agreement.state
        due = renewal_due_on(agreement, self.settings)
        if due is None or due >= self.today:
            self.count('%s in force' % kind)
            return
        successor = self.renewed(agreement, therapist, due)
        signed_on = due + timedelta(days=rng.randrange(0, 11))
        if rng.random() < RENEWED_SIGNED and signed_on < self.today:
            self.signed(successor, guardians, signed_on)
            self.count('%s renewed and signed' % kind)
        else:
            self.count('%s renewal waiting for signatures' % kind)

    def renewed(self, agreement, therapist, day):
        """What the daily task 'renewals' does on ``day``, without mail."""
        moment = self.moment(day)
        agreement.renewal_handled = agreement.valid_until
        actor = sender_for(self.clinic, agreement) or as_actor(therapist)
        successor = send_successor(self.clinic, self.registry, agreement, actor, day,
                                   now=moment, announce=False)
        successor.created = moment
        self.invite(successor, moment)
        agreement.add_event('renewal sent', SYSTEM, 'agreement %s, its period ends %s'
                            % (successor.__name__, valid_until(agreement).isoformat()),
                            now=moment)
        return successor
