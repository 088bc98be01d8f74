"""The demo clinic's named families: the documented sign-ins and a story
for each (agreements in every state, six months of summaries, disclosures
a guardian may and may not read).

Everything is invented; every address is ``@demo.test``.  With a private
marker every field a guardian must never see (private notes, clinical goal
wording, diagnoses and diagnosis codes, medications, internal contact and
restriction comments, disclosures and their justification and recipients,
third-party requests, the insurer's name, unpublished and withdrawn
summaries, review comments, workflow-history comments) contains it, so
tests can prove it never reaches a guardian.  ``seed`` adds generated
clients for scale and is the command.
"""
import hashlib
import random
from datetime import date, datetime, timedelta, timezone

from minorconsent.accounts import User
from minorconsent.agreements import act, esign, sign, start_agreement
from minorconsent.agreements.validity import add_months, set_period
from minorconsent.clients import Client, Goal, Note, link_guardian
from minorconsent.disclosures import record_disclosure
from minorconsent.disclosures.insurer import export_for_insurer
from minorconsent.disclosures.releases import ReleaseTerms, start_release
from minorconsent.disclosures.requests import record_request
from minorconsent.caseload.store import remember
from minorconsent.reminders.model import pause
from minorconsent.security.policy import principals_for
from minorconsent.summaries import add_progress, write_summary
from minorconsent.workflow import workflow_guards
from minorconsent.workflow.engine import Actor, fire

DEMO_PASSWORD = 'demo-password-1'

STAFF = (
    # email, name, roles
    ('admin@demo.test', 'Avery Admin', ['admin']),
    ('supervisor@demo.test', 'Dr. Jordan Lee', ['supervisor']),
    ('therapist@demo.test', 'Dr. Robin Reyes', ['therapist']),
    ('therapist2@demo.test', 'Sam Okafor', ['therapist']),
    ('privacy@demo.test', 'Morgan Ashby', ['privacy_officer']),
)

GOALS = (
    ('Manage worries at school', 'Practise calming skills before tests.',
     'Generalized anxiety symptoms; graded exposure to test situations.'),
    ('Get along better at home', 'Fewer arguments; more calm talks.',
     'Family conflict; coaching on emotion regulation and repair.'),
    ('Sleep on a regular schedule', 'Bedtime routine most nights.',
     'Sleep-onset insomnia; CBT-I components and screen curfew.'),
    ('Feel more confident with friends', 'Join one activity this term.',
     'Social withdrawal; behavioural activation plan.'),
)
NOTES = (
    'Talked about a hard week with friends; practised breathing exercise.',
    'Discussed feelings about parents arguing; client asked that this stay private.',
    'Reviewed sleep diary; some improvement.',
)


def agree_once(person):
    """The demo people who have signed agreed to electronic documents
    first (agreements/esign.py); the others are asked at their first
    signature."""
    if not esign.has_agreed(person):
        esign.agree(person, 'en', '192.0.2.9', 'minorconsent-seed')


def marker_code(marker):
    """An ICD-10-CM-shaped code that stands for ``marker`` (always the same
    for the same marker).  Diagnosis codes cannot hold the marker itself:
    the client form accepts only ICD-10-CM codes
    (``clients.model.ICD10``) and would refuse to save a seeded record
    otherwise; tests look for this code where they look for the marker."""
    digest = hashlib.sha256(marker.encode('utf-8')).digest()
    first, rest = 'ABCDEFGHIJKLMNOPQRSTVWXYZ', '0123456789ABCDEFGHIJKLMNOPQRSTVWXYZ'
    return '%s%d%d.%s' % (first[digest[0] % len(first)], digest[1] % 10, digest[2] % 10,
                          ''.join(rest[b % len(rest)] for b in digest[3:7]))


class DemoClinic:
    """Writes the named families into ``clinic`` (``named_families``), and
    the people and clients ``seed.Seeder`` generates more of."""


    def __init__(self, clinic, password_hash, marker, registry, today=None):
        self.clinic = clinic
        self.registry = registry
        self.invitation_links = {}     # email -> token of a pending invitation
        self.users = clinic['users']
        self.clients = clinic['clients']
        self.password_hash = password_hash
        self.marker = marker
        self.today = today or date.today()
        self.numbered = 0                  # the clinic's own client ids so far

    def private(self, text):
        """Text for a field no guardian may see, carrying the marker."""
        return '%s %s' % (self.marker, text) if self.marker else text

    def private_codes(self, *codes):
        """Diagnosis codes, plus the marker's own code (``marker_code``)."""
        return codes + (marker_code(self.marker),) if self.marker else codes

    def account(self, email, name, roles, sign_in=True):
        user = User(email, name, roles)
        if sign_in:
            user.password_hash = self.password_hash
        self.users.add_user(user)
        return user

    def born(self, years, days=40):
        """A birthday ``years`` years and ``days`` days before today."""
        day = date(self.today.year - years, self.today.month, min(self.today.day, 28))
        return day - timedelta(days=days)

    def client(self, first, last, age, therapist, rng):
        client = Client(first, last, self.born(age, rng.randrange(1, 300)),
                        [therapist.__name__])
        client.diagnosis = self.private('F41.1 Generalized anxiety disorder')
        client.contact.instructions = self.private(
            'Text only after 4pm; the family shares one phone.')
        self.clients.add_client(client)
        # The clinic's own client id (its practice-management system's), as
        # an import gives it: the caseload export and the FHIR API name the
        # client by it.
        self.numbered += 1
        remember(self.clinic, client, 'DEMO-%04d' % self.numbered)
        for title, parent_text, clinical in rng.sample(GOALS, 2):
            client['goals'].add(Goal(self.private(clinical), title, parent_text))
        for text in rng.sample(NOTES, 2):
            client['notes'].add(Note(self.private(text), therapist.__name__,
                                     self.today - timedelta(days=rng.randrange(1, 60))))
        return client

    def named_families(self):
        # The demo signs in with a password only (README): a new clinic
        # requires staff to use a second factor, the demo does not.  Demo
        # accounts get their hash directly, so the password policy (which
        # happens to accept demo-password-1) is not consulted here.
        self.clinic.settings.update(staff_two_factor=False)
        staff = {email: self.account(email, name, roles) for email, name, roles in STAFF}
        supervisor = staff['supervisor@demo.test']
        therapist = staff['therapist@demo.test']
        therapist2 = staff['therapist2@demo.test']
        self.users.set_supervisor(therapist, supervisor.__name__)
        rng = random.Random(2)

        # The Alvarez family: two children with therapist@demo.test.
        mateo = self.client('Mateo', 'Alvarez', 15, therapist, rng)
        lucia = self.client('Lucia', 'Alvarez', 9, therapist, rng)
        mother = self.account('guardian@demo.test', 'Elena Alvarez', ['guardian'])
        father = self.account('restricted@demo.test', 'Victor Alvarez', ['guardian'])
        step = self.account('stepparent@demo.test', 'Dana Pike', ['guardian'])
        for child in (mateo, lucia):
            link = link_guardian(self.clinic, child, mother, 'mother', True)
            link.contact.instructions = self.private('Mobile only; never the work line.')
            link_guardian(self.clinic, child, father, 'father', True, restricted=True,
                          restriction_note=self.private('Protective order, family court.'))
        link_guardian(self.clinic, mateo, step, 'step-parent', False)
        teen = self.account('teen@demo.test', 'Mateo Alvarez', ['adolescent'])
        teen.client_id = mateo.__name__
        mateo.self_account_id = teen.__name__

        # The Novak family: one child with therapist2@demo.test.
        ava = self.client('Ava', 'Novak', 12, therapist2, rng)
        parent2 = self.account('guardian2@demo.test', 'Chris Novak', ['guardian'])
        link_guardian(self.clinic, ava, parent2, 'parent', True)

        # The Fairhaven family: joint custody, both parents must sign.
        rowan = self.client('Rowan', 'Fairhaven', 11, therapist, rng)
        co1 = self.account('coparent1@demo.test', 'Jamie Fairhaven', ['guardian'])
        co2 = self.account('coparent2@demo.test', 'Alex Fairhaven', ['guardian'])
        link_guardian(self.clinic, rowan, co1, 'mother', True)
        link_guardian(self.clinic, rowan, co2, 'father', True)

        self.agreements(therapist, therapist2, mother, teen, parent2, co1, co2,
                        mateo, lucia, ava, rowan)
        self.timed(therapist, lucia, rowan)
        self.summaries(therapist, teen, mateo)
        self.disclosures(therapist, supervisor, mother, father, mateo)
        # On the therapist's to-do list: a client who turns 18 in about six
        # weeks, with a parent who has no sign-in.  Its own random source
        # leaves the other families as they were.
        noah = self.client('Noah', 'Brennan', 17, therapist, random.Random(3))
        noah.date_of_birth = self.born(18, -45)
        link_guardian(self.clinic, noah,
                      self.account('brennan@demo.test', 'Kim Brennan', ['guardian'],
                                   sign_in=False), 'mother', True)
        return therapist, therapist2

    def timed(self, therapist, lucia, rowan):
        """Two items of the to-do list that only time makes, so a newcomer
        sees every kind: Lucia's consent, signed almost a year ago, is in
        force for 20 more days (the demo clinic gives 14 days' notice, so
        its renewal goes out in six days, from the daily job); and the
        Fairhavens' reminders are paused while their custody hearing is
        pending, the reason on the record (a private field: it names the
        family's situation)."""
        self.clinic.settings.update(renewal_notice_days=14)
        (consent,) = [a for a in lucia['agreements'].values()
                      if a.kind == 'consent' and a.state == 'active']
        until = self.today + timedelta(days=20)
        set_period(consent, add_months(until + timedelta(days=1), -12), until)
        pause(self.clinic, rowan, self.private(
            'Custody hearing pending; both parents asked for no reminders until it is over.'),
            therapist.__name__)

    def disclosures(self, therapist, supervisor, mother, father, mateo):
        """A safety notice the mother may read, and everything she must not:
        a mandated report, a note to the barred father, a release to the
        pediatrician and what went under it, an insurer export, a school's
        request."""
        guards = workflow_guards(self.registry)
        boss = Actor(supervisor.__name__, principals_for(supervisor))
        mateo.diagnosis_codes = self.private_codes('F41.1')
        mateo.medications = (self.private('Sertraline 25 mg daily'),)
        day = self.today - timedelta(days=20)
        told = record_disclosure(
            self.clinic, mateo, self.registry, therapist.__name__, 'harm_self', 'guardian',
            'On our call we agreed Mateo should not be alone this weekend, and that you '
            'will call the crisis line if he asks to be left alone.', day,
            guardian_id=mother.__name__,
            justification=self.private('Safety plan agreed in session; mother must know.'))
        # Sign-off comments stay in the history, which no family member sees.
        fire(told, 'sign_off', boss, guards,
             comment=self.private('Risk assessment reviewed; notice appropriate.'))
        report = record_disclosure(
            self.clinic, mateo, self.registry, therapist.__name__, 'abuse', 'agency',
            self.private('Report made about a bruise Mateo described.'), day,
            recipient_name=self.private('County child protective services'))
        fire(report, 'sign_off', boss, guards,
             comment=self.private('Mandated report confirmed.'))
        record_disclosure(
            self.clinic, mateo, self.registry, therapist.__name__, 'other', 'guardian',
            self.private('Told about a missed appointment.'), day,
            guardian_id=father.__name__,
            justification=self.private('Court order allows notice of attendance only.'))
        release = start_release(self.clinic, mateo, therapist.__name__, ReleaseTerms(
            'Dr. Demo Pediatrician, family doctor', 'third_party', ('attendance', 'goals'),
            'Coordinating care with the family doctor', self.today + timedelta(days=180)))
        act(release, self.registry, 'send', Actor(therapist.__name__,
                                                   principals_for(therapist)), event='sent')
        agree_once(mother)
        sign(self.clinic, self.registry, release, mother, principals_for(mother),
             mother.display_name, True, True, release.text_sha256, '192.0.2.30',
             'minorconsent-seed')
        shared = record_disclosure(
            self.clinic, mateo, self.registry, therapist.__name__, 'authorized', 'third_party',
            self.private('Attendance dates for September and the two goal titles.'),
            self.today, release=release, items=('attendance', 'goals'))
        fire(shared, 'sign_off', boss, guards,
             comment=self.private('Within the release.'))
        export_for_insurer(mateo, self.registry, therapist.__name__,
                           self.private('Demo Health Plan'),
                           self.today - timedelta(days=90), self.today)
        record_request(mateo, therapist.__name__, self.private('Westside Middle School'),
                       'school', day, self.private('Asked whether Mateo is seen here.'),
                       'ncnd', self.private('Sent the standard reply.'))

    def summaries(self, therapist, teen, mateo):
        """Six months of progress with a summary published every other
        month, then one withdrawn, one in client review and one draft.
        Only the published ones may ever reach a guardian; the others carry
        the marker."""
        guards = workflow_guards(self.registry)
        author = Actor(therapist.__name__, principals_for(therapist))
        ratings = ('no-progress', 'in-progress', 'in-progress', 'improving', 'improving',
                   'sustaining')
        goals = list(mateo['goals'].values())
        for month, _ in enumerate(ratings):
            moment = datetime.combine(self.today - timedelta(days=30 * (5 - month)),
                                      datetime.min.time(), timezone.utc)
            for n, goal in enumerate(goals):
                add_progress(goal, moment.date(), ratings[max(0, month - n)], 'Steady steps.',
                             therapist.__name__)
            if month % 2 == 1:
                summary = write_summary(self.clinic, mateo, moment.strftime('%B'),
                                        'Mateo keeps working on his goals (%s).'
                                        % moment.strftime('%B'), therapist.__name__)
                fire(summary, 'publish', author, guards, now=moment, announce=False)
        for period, text, steps in (
                ('Summer', self.private('Withdrawn: this summary had an error.'),
                 ('publish', 'withdraw')),
                ('This month', self.private('Draft: good progress this month.'),
                 ('ask_client_review',)),
                ('Next month', self.private('Draft, not yet shown to anyone.'), ())):
            summary = write_summary(self.clinic, mateo, period, text, therapist.__name__)
            for step in steps:
                fire(summary, step, author, guards, announce=False,
                     comment=self.private('Corrected.') if step == 'withdraw' else '')
        summary.review_comment = self.private('Teen asked to leave out a detail.')

    def agreements(self, therapist, therapist2, mother, teen, parent2, co1, co2,
                   mateo, lucia, ava, rowan):
        """Every state a newcomer should see: active agreements signed by
        the mother with Mateo's assent, Ava's consent waiting for her
        parent, and the Fairhavens' consent with one of two signatures."""
        def as_actor(user):
            return Actor(user.__name__, principals_for(user))

        def signed(agreement, *people):
            for n, person in enumerate(people):
                agree_once(person)
                sign(self.clinic, self.registry, agreement, person, principals_for(person),
                     person.display_name, True, True, agreement.text_sha256,
                     '192.0.2.%d' % (10 + n), 'minorconsent-seed')
        for kind, first_step in (('consent', 'send'), ('confidentiality', 'propose')):
            agreement = start_agreement(self.clinic, mateo, kind, therapist.__name__)
            act(agreement, self.registry, first_step, as_actor(therapist), event='sent')
            signed(agreement, teen, mother)
        consent = start_agreement(self.clinic, lucia, 'consent', therapist.__name__)
        act(consent, self.registry, 'send', as_actor(therapist), event='sent')
        signed(consent, mother)
        pending = start_agreement(self.clinic, ava, 'consent', therapist2.__name__)
        act(pending, self.registry, 'send', as_actor(therapist2), event='sent')
        joint = start_agreement(self.clinic, rowan, 'consent', therapist.__name__)
        act(joint, self.registry, 'send', as_actor(therapist), event='sent')
        signed(joint, co1)
        # Invitation links (printed by the script instead of mailed).
        days = self.clinic.settings.invitation_days
        for agreement, person in ((pending, parent2), (joint, co2)):
            self.invitation_links[person.email] = self.clinic.invitations.issue(
                agreement, person, days)
            agreement.add_event('invited', therapist.__name__,
                             self.private('invitation issued by the seed'))


DEMO_SIGN_INS = (
    ('admin@demo.test', 'clinic admin'),
    ('privacy@demo.test', 'privacy officer (the whole audit trail, nothing else)'),
    ('therapist@demo.test', 'therapist of the Alvarez children'),
    ('therapist2@demo.test', 'therapist of the Novak child'),
    ('supervisor@demo.test', 'supervisor of therapist@demo.test'),
    ('guardian@demo.test', 'mother, legal authority, two children'),
    ('guardian2@demo.test', 'parent of a different child'),
    ('teen@demo.test', "the 15-year-old's own account"),
    ('restricted@demo.test', 'father barred by a court order (sees nothing)'),
    ('stepparent@demo.test', 'step-parent without legal authority (sees nothing)'),
    ('coparent1@demo.test', 'joint custody: has signed the consent'),
    ('coparent2@demo.test', 'joint custody: the consent waits for this signature'),
)
