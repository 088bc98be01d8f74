"""minorconsent-seed: deterministic demo data with the documented sign-ins.

The named families (``demo_families``) always; then ``--clients`` generated
clients, each with a parent (and every Nth a second one), for trying the
app at scale.  ``--private-marker TEXT`` writes TEXT into every field a
guardian must never see (``demo_families``).
"""
import argparse
import contextlib
import random
import sys
from datetime import timedelta

from pyramid.settings import asbool
from tqdm import tqdm

from minorconsent.clients import link_guardian
from minorconsent.site import ROOT_KEY, bootstrap_clinic
from minorconsent.site.canonical import public_url
from minorconsent.summaries import add_progress

from .common import clinic_transaction
from .seed_agreements import AgreementSeeder, pdfs_not_stored
from .demo_families import (DEMO_PASSWORD, DEMO_SIGN_INS, DemoClinic,  # noqa: F401
                            marker_code)

FIRST = ('Mia', 'Noah', 'Liam', 'Zoe', 'Ella', 'Owen', 'Ivy', 'Leo', 'Ruby',
         'Finn', 'Nora', 'Eli', 'Ada', 'Kai', 'Luz', 'Theo', 'Isla', 'Ezra',
         'Maya', 'Jude', 'Iris', 'Omar', 'Lena', 'Remy')
LAST = ('Brightwater', 'Castellano', 'Duvall', 'Emberly', 'Fairhaven',
        'Glenmore', 'Holloway', 'Ingram', 'Juniper', 'Kestrel', 'Lindqvist',
        'Marlowe', 'Northcott', 'Oakes', 'Pennington', 'Quill', 'Rosewood',
        'Sterling', 'Thornbury', 'Underhill', 'Vantongeren', 'Whitlock')
def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='minorconsent-seed',
        description='Fill the database with deterministic demo data.  Always '
                    'creates the demo sign-ins listed in README.md.')
    parser.add_argument('config_uri', help='e.g. development.ini')
    parser.add_argument('--clients', type=int, default=30,
                        help='generated clients beyond the named demo families (default 30)')
    parser.add_argument('--therapists', type=int, default=0,
                        help='generated therapists (therapist001@demo.test, ...) who share '
                             'the generated clients; 0 (default) gives them to the named '
                             'therapists')
    parser.add_argument('--progress', type=int, default=0,
                        help='progress updates per generated client, spread over its '
                             'goals (default 0)')
    parser.add_argument('--second-guardian-every', type=int, default=5, metavar='N',
                        help='every Nth generated client has a second parent (default 5: '
                             '1.2 guardians per client); 0 for none')
    parser.add_argument('--agreements', action='store_true',
                        help='give the generated clients a year of agreements: consents in '
                             'force from days over the past year (renewals and expiries every '
                             'day of the next), some renewed, some waiting for signatures, '
                             'some declined, confidentiality agreements, clients coming of age '
                             '(for the daily job at scale; see seed_agreements)')
    parser.add_argument('--password', default=DEMO_PASSWORD,
                        help='password of every demo account (default %s)' % DEMO_PASSWORD)
    parser.add_argument('--private-marker', default='',
                        help='write this text into every field a guardian must never see')
    parser.add_argument('--reset', action='store_true',
                        help='delete the whole clinic first')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    parser.add_argument('--allow-secure-config', action='store_true',
                        help='seed even though the config sets secure cookies '
                             '(a production-like config; demo accounts have a known password)')
    return parser.parse_args(argv)


class Seeder(DemoClinic):
    """The named families, and as many generated clients as asked for."""

    def generated_therapists(self, count):
        """``count`` therapists (without a supervisor: the demo supervisor
        keeps a realistic caseload of one therapist)."""
        return [self.account('therapist%03d@demo.test' % n, 'Therapist %03d' % n,
                             ['therapist'])
                for n in range(1, count + 1)]

    def generated(self, count, therapists, tick, commit, progress=0, second_every=5,
                  agreements=None):
        """``count`` clients with a parent each (a second parent for every
        ``second_every``-th), two goals and ``progress`` progress updates,
        weekly, going back from today.  ``commit`` is called every 500
        clients, so a clinic of any size is written in bounded memory.
        ``agreements(client, parents, therapist)``, where given, writes the
        client's agreements (``seed_agreements``; its own random source, so
        the clients are the same with or without it, but for the birthdays
        of the few it makes come of age)."""
        rng = random.Random(1)
        ratings = ('in-progress', 'improving', 'no-change', 'improving', 'sustaining',
                   'worsening', 'achieved')
        for n in range(count):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            therapist = therapists[n % len(therapists)]
            client = self.client(first, last, rng.randrange(6, 18), therapist, rng)
            parent = self.account('parent%05d@demo.test' % n,
                                  'Parent of %s' % first, ['guardian'])
            link_guardian(self.clinic, client, parent,
                          rng.choice(('mother', 'father', 'parent')), True)
            parents = [parent]
            if second_every and n % second_every == second_every - 1:
                other = self.account('coparent%05d@demo.test' % n,
                                     'Other parent of %s' % first, ['guardian'])
                link_guardian(self.clinic, client, other, 'parent', True)
                parents.append(other)
            goals = list(client['goals'].values())
            for week in range(progress):
                add_progress(goals[week % len(goals)],
                             self.today - timedelta(days=7 * (progress - week)),
                             rng.choice(ratings), 'Steady steps.', therapist.__name__)
            if agreements is not None:
                agreements(client, parents, therapist)
            tick()
            if n % 500 == 499:
                commit()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with clinic_transaction(args.config_uri) as (clinic, request):
        settings = request.registry.settings
        if asbool(settings.get('minorconsent.secure_cookies')) and not args.allow_secure_config:
            print('Refusing to seed: this looks like a production configuration '
                  '(minorconsent.secure_cookies is on). Demo accounts have a known '
                  'password. Use --allow-secure-config if you really mean it.',
                  file=sys.stderr)
            return 2
        if args.reset:
            zodb_root = clinic._p_jar.root()
            del zodb_root[ROOT_KEY]
            clinic = bootstrap_clinic(zodb_root, request.registry)
        elif clinic['users'].find_by_email('admin@demo.test') is not None:
            print('Demo data is already there (use --reset to start over).')
            return 0
        registry = request.registry
        password_hash = request.registry.passwords.hash(args.password)
        seeder = Seeder(clinic, password_hash, args.private_marker, request.registry)
        therapists = seeder.named_families()
        with tqdm(total=args.clients, unit='client', disable=args.quiet,
                  desc='seeding') as bar:
            if args.therapists:
                therapists = seeder.generated_therapists(args.therapists)
            agreements = AgreementSeeder(clinic, registry, seeder.today) \
                if args.agreements else None
            with pdfs_not_stored() if agreements is not None else contextlib.nullcontext():
                seeder.generated(args.clients, therapists, lambda: bar.update(1),
                                 commit_batch(request), args.progress,
                                 args.second_guardian_every,
                                 agreements.add if agreements is not None else None)
    if agreements is not None:
        print('Agreements of the generated clients:')
        for what, number in sorted(agreements.counts.items()):
            print('  %-48s %d' % (what, number))
    print('Demo sign-ins (password %s):' % ('as given' if args.password != DEMO_PASSWORD
                                          else DEMO_PASSWORD))
    for email, role in DEMO_SIGN_INS:
        print('  %-24s %s' % (email, role))
    print('Pending invitation links:')
    for email, token in sorted(seeder.invitation_links.items()):
        print('  %-24s %s' % (email, public_url(registry, 'invite', token)))
    return 0


def commit_batch(request):
    """A real commit per batch: a 50,000-client seed must not hold one
    transaction of millions of objects (savepoints would spill to a
    temporary file but still commit them all at the end at once).

    The batch's audit entries are sealed after it: the inbox is one
    persistent queue, written whole at every commit, and sealing pulls its
    items one by one, so entries left waiting for the end (hundreds of
    thousands with ``--agreements``) would cost time and disk quadratic
    in their number."""
    recorder = getattr(request.registry, 'audit_recorder', None)

    def commit():
        request.tm.commit()
        if recorder is not None:
            recorder.flush()
        request.tm.begin()
    return commit


if __name__ == '__main__':  # pragma: no cover
    sys.exit(main())
