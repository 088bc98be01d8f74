"""minorconsent-seed: the documented demo sign-ins and the seeding options."""
from collections import Counter

import pytest

from minorconsent.scripts import seed

from scripthelpers import PASSWORDS, last_transaction, make_site, open_db, run
from scripthelpers import other_site, site  # noqa: F401  (fixtures)

DEMO_PASSWORD = 'demo-password-1'

#: Every account the seed documents (README / ``seed.DEMO_SIGN_INS``).
DEMO_EMAILS = (
    'admin@demo.test', 'therapist@demo.test', 'therapist2@demo.test',
    'supervisor@demo.test', 'guardian@demo.test', 'guardian2@demo.test',
    'teen@demo.test', 'restricted@demo.test', 'stepparent@demo.test',
)

MARKER = 'ZZ-SEED-MARKER-4kq'


@pytest.fixture(scope='module')
def seeded(tmp_path_factory):
    """One default seed (read-only for the tests that use it)."""
    site = make_site(tmp_path_factory.mktemp('seeded'))
    code, out, _ = run(seed, site.ini, '--quiet')
    assert code == 0
    site.out = out
    return site


def user(clinic, email):
    found = clinic['users'].find_by_email(email)
    assert found is not None, 'no account for %s' % email
    return found


def client_count(site):
    with open_db(site) as (root, clinic):
        return len(clinic['clients'])


def snapshot(clinic):
    """Everything a re-run could plausibly change, as plain values."""
    users = sorted((u.__name__, u.email, u.password_hash, u.roles)
                   for u in clinic['users'].values())
    clients = sorted((c.__name__, c.first_name, c.last_name, c.date_of_birth,
                      tuple(sorted(c['guardians'].keys())))
                     for c in clinic['clients'].values())
    return users, clients


# --- the sign-in contract ----------------------------------------------------

@pytest.mark.parametrize('email, role', [
    ('admin@demo.test', 'admin'),
    ('therapist@demo.test', 'therapist'),
    ('therapist2@demo.test', 'therapist'),
    ('supervisor@demo.test', 'supervisor'),
    ('guardian@demo.test', 'guardian'),
    ('guardian2@demo.test', 'guardian'),
    ('teen@demo.test', 'adolescent'),
])
def test_demo_sign_in_exists_with_role_and_demo_password(seeded, email, role):
    with open_db(seeded) as (root, clinic):
        account = user(clinic, email)
        assert role in account.roles
        assert account.active
        assert account.__name__ in clinic['users'].ids_with_role(role)
        assert PASSWORDS.verify(account.password_hash, DEMO_PASSWORD)
        assert not PASSWORDS.verify(account.password_hash, 'wrong-password-1')


def test_the_admin_is_only_an_admin_and_staff_are_not_guardians(seeded):
    with open_db(seeded) as (root, clinic):
        assert user(clinic, 'admin@demo.test').roles == ('admin',)
        for email in ('therapist@demo.test', 'therapist2@demo.test',
                      'supervisor@demo.test'):
            assert 'guardian' not in user(clinic, email).roles


def test_supervisor_supervises_therapist(seeded):
    with open_db(seeded) as (root, clinic):
        users = clinic['users']
        supervisor = user(clinic, 'supervisor@demo.test')
        therapist = user(clinic, 'therapist@demo.test')
        assert therapist.__name__ in users.supervised_by(supervisor.__name__)
        assert therapist.supervisor_id == supervisor.__name__


def test_guardian_has_unrestricted_legal_authority_over_a_child_of_therapist(seeded):
    with open_db(seeded) as (root, clinic):
        guardian = user(clinic, 'guardian@demo.test')
        therapist = user(clinic, 'therapist@demo.test')
        children = clinic['clients'].children_of(guardian.__name__)
        assert children
        entitled = []
        for child in children:
            link = child['guardians'][guardian.__name__]
            if (link.legal_authority and not link.restricted
                    and therapist.__name__ in child.therapist_ids):
                entitled.append(child)
        assert entitled, 'guardian@demo.test has no unrestricted child of therapist@demo.test'
        child = entitled[0]
        assert child.is_minor(clinic.settings)
        assert guardian.__name__ in child.entitled_guardian_ids(clinic.settings)


def test_guardian2_is_the_guardian_of_a_different_child(seeded):
    with open_db(seeded) as (root, clinic):
        clients = clinic['clients']
        first = {c.__name__ for c in
                 clients.children_of(user(clinic, 'guardian@demo.test').__name__)}
        second_user = user(clinic, 'guardian2@demo.test')
        second = {c.__name__ for c in clients.children_of(second_user.__name__)}
        assert second, 'guardian2@demo.test has no child'
        assert not first & second
        for cid in second:
            link = clients[cid]['guardians'][second_user.__name__]
            assert link.legal_authority and not link.restricted


def test_teen_is_a_15_year_old_child_of_guardian(seeded):
    with open_db(seeded) as (root, clinic):
        teen = user(clinic, 'teen@demo.test')
        guardian = user(clinic, 'guardian@demo.test')
        assert 'adolescent' in teen.roles
        assert teen.client_id is not None
        client = clinic['clients'][teen.client_id]
        assert client.age() == 15
        assert client.self_account_id == teen.__name__
        assert guardian.__name__ in client['guardians']
        assert teen.client_id in clinic['clients'].index.children_of(guardian.__name__)


def test_output_lists_the_demo_sign_ins(seeded):
    for email in DEMO_EMAILS:
        assert email in seeded.out
    assert DEMO_PASSWORD in seeded.out


def test_invitation_links_use_the_configured_public_url(site):
    """The printed links lead where the mails' do (minorconsent.public_url),
    not to the development server's address."""
    with open(site.ini, 'a') as ini:
        ini.write('minorconsent.public_url = https://portal.clinic.example\n')
    code, out, _ = run(seed, site.ini, '--quiet', '--clients', '0')
    assert code == 0
    links = [line.split()[-1] for line in out.splitlines() if '/invite/' in line]
    assert links and all(link.startswith('https://portal.clinic.example/invite/')
                         for link in links), out
    assert '127.0.0.1' not in out


def test_every_seeded_address_is_a_demo_test_address(seeded):
    with open_db(seeded) as (root, clinic):
        emails = [u.email for u in clinic['users'].values()]
    assert emails
    assert all(email.endswith('@demo.test') for email in emails)


# --- options -----------------------------------------------------------------

def test_password_option_changes_every_demo_account(site):
    code, out, _ = run(seed, site.ini, '--quiet', '--clients', '2',
                       '--password', 'other-secret-42')
    assert code == 0
    assert DEMO_PASSWORD not in out
    with open_db(site) as (root, clinic):
        for email in DEMO_EMAILS:
            account = user(clinic, email)
            assert PASSWORDS.verify(account.password_hash, 'other-secret-42'), email
            assert not PASSWORDS.verify(account.password_hash, DEMO_PASSWORD), email


def test_clients_option_adds_that_many_generated_clients(site, other_site, seeded):
    assert run(seed, site.ini, '--quiet', '--clients', '0')[0] == 0
    assert run(seed, other_site.ini, '--quiet', '--clients', '7')[0] == 0
    base = client_count(site)
    assert base > 0                          # the named demo families
    assert client_count(other_site) == base + 7
    assert client_count(seeded) == base + 30  # the documented default


def test_generated_clients_each_have_a_guardian_and_a_therapist(site):
    assert run(seed, site.ini, '--quiet', '--clients', '12')[0] == 0
    with open_db(site) as (root, clinic):
        therapists = set(clinic['users'].ids_with_role('therapist'))
        for client in clinic['clients'].values():
            assert len(client['guardians']) >= 1
            assert set(client.therapist_ids) <= therapists
            assert client.therapist_ids


def test_second_seed_without_reset_changes_nothing(site):
    assert run(seed, site.ini, '--quiet', '--clients', '5')[0] == 0
    with open_db(site) as (root, clinic):
        before = snapshot(clinic)
    tid_before = last_transaction(site)

    code, out, _ = run(seed, site.ini, '--quiet', '--clients', '5')
    assert code == 0
    assert 'already there' in out
    assert last_transaction(site) == tid_before, 'the second seed wrote to the database'
    with open_db(site) as (root, clinic):
        assert snapshot(clinic) == before


def test_reset_rebuilds_the_demo_data(site, other_site):
    assert run(seed, site.ini, '--quiet', '--clients', '5')[0] == 0
    with open_db(site) as (root, clinic):
        old_client_ids = set(clinic['clients'].keys())
        old_user_ids = set(clinic['users'].keys())
        user_count = len(clinic['users'])
    assert run(seed, other_site.ini, '--quiet', '--clients', '5')[0] == 0
    with open_db(other_site) as (root, clinic):
        fresh_user_count = len(clinic['users'])
        fresh_client_count = len(clinic['clients'])
    assert user_count == fresh_user_count

    code, out, _ = run(seed, site.ini, '--quiet', '--clients', '5', '--reset')
    assert code == 0
    assert 'already there' not in out
    with open_db(site) as (root, clinic):
        assert len(clinic['users']) == fresh_user_count
        assert len(clinic['clients']) == fresh_client_count
        new_client_ids = set(clinic['clients'].keys())
        assert new_client_ids and not new_client_ids & old_client_ids
        assert not set(clinic['users'].keys()) & old_user_ids
        # The rebuilt clinic is complete: every step recorded, sign-ins work.
        assert hasattr(clinic, 'sessions')
        assert set(clinic._evolved) >= {'0001-security-sessions',
                                        '0002-accounts-users',
                                        '0003-clients-folder'}
        admin = user(clinic, 'admin@demo.test')
        assert PASSWORDS.verify(admin.password_hash, DEMO_PASSWORD)


#: String attributes that name or classify rather than say anything: ids,
#: kinds, states, workflow bookkeeping.  Every *other* non-empty text of a
#: disclosure, request or unpublished summary must carry the marker, so a
#: field added to those objects (and filled by the seed) without the marker
#: fails the test below.
STRUCTURAL = frozenset({
    'reason', 'recipient_kind', 'guardian_id', 'release_ref', 'recorded_by', 'author_id',
    'requester_kind', 'outcome', 'state', 'workflow_id', 'workflow_key', 'supersedes',
    '__name__',
    # A summary's period ("This month") is its label, shown to staff in lists.
    'period'})


def marked_texts(obj, label, allowed=()):
    """Assert that every free-text attribute of ``obj`` (but ``allowed``)
    carries the marker; return how many it had."""
    obj._p_activate()
    texts = {name: value for name, value in vars(obj).items()
             if isinstance(value, str) and value and not name.startswith('_')
             and name not in STRUCTURAL and name not in allowed}
    for name, value in texts.items():
        assert MARKER in value, '%s.%s carries no marker: %r' % (label, name, value)
    return len(texts)


def test_private_marker_is_in_every_private_field_and_no_guardian_field(site):
    """Every field a guardian must never see carries the marker, so the
    tests that look for it (tests/portal) would see any of them leak.  Each
    kind of field is counted: a kind the seed stopped filling fails too."""
    from minorconsent.disclosures.insurer import ICD10
    assert run(seed, site.ini, '--quiet', '--clients', '20',
               '--private-marker', MARKER)[0] == 0
    counts = Counter()
    code = seed.marker_code(MARKER)
    assert ICD10.match(code), code       # the client form accepts it
    with open_db(site) as (root, clinic):
        mother = user(clinic, 'guardian@demo.test').__name__
        for client in clinic['clients'].values():
            counts['clients'] += 1
            assert MARKER in client.diagnosis
            assert MARKER in client.contact.instructions
            for name in ('first_name', 'preferred_name', 'last_name'):
                assert MARKER not in (getattr(client, name) or ''), name
            if client.diagnosis_codes:
                counts['diagnosis codes'] += 1
                assert code in client.diagnosis_codes
                assert all(ICD10.match(c) for c in client.diagnosis_codes)
            for medication in client.medications:
                counts['medications'] += 1
                assert MARKER in medication
            for goal in client['goals'].values():
                counts['goals'] += 1
                assert MARKER in goal.clinical_text
                assert MARKER not in goal.parent_title
                assert MARKER not in (goal.parent_description or '')
            for note in client['notes'].values():
                counts['notes'] += 1
                assert MARKER in note.text
            for link in client['guardians'].values():
                if link.restricted:
                    counts['restricted links'] += 1
                    assert MARKER in link.restriction_note
                if link.contact.instructions:
                    counts['guardian contact instructions'] += 1
                    assert MARKER in link.contact.instructions
            folders = {name: list(client[name].values()) if name in client else []
                       for name in ('disclosures', 'requests', 'summaries', 'agreements')}
            for disclosure in folders['disclosures']:
                counts['disclosures'] += 1
                allowed = []
                if disclosure.guardian_id == mother and disclosure.reason in (
                        'harm_self', 'harm_others', 'abuse', 'court_order'):
                    # The words told to the mother reach her as a safety notice.
                    allowed.append('text')
                else:
                    assert MARKER in disclosure.text
                if disclosure.reason == 'authorized':
                    # The recipient is the one named in the release she signed.
                    release = client['agreements'][disclosure.release_ref]
                    assert disclosure.recipient_name == release.terms.recipient
                    allowed.append('recipient_name')
                elif disclosure.recipient_kind != 'guardian':
                    counts['disclosure recipients'] += 1
                    assert MARKER in disclosure.recipient_name
                if disclosure.reason == 'insurer':
                    counts['insurer names'] += 1
                if disclosure.justification:
                    counts['justifications'] += 1
                marked_texts(disclosure, 'disclosure', allowed)
            for request in folders['requests']:
                counts['requests'] += 1
                for name in ('requester', 'asked_for', 'note'):
                    assert MARKER in getattr(request, name), name
                marked_texts(request, 'request')
            for summary in folders['summaries']:
                if summary.review_comment:
                    counts['review comments'] += 1
                    assert MARKER in summary.review_comment
                if summary.state == 'published':
                    assert MARKER not in summary.parent_text
                    continue
                counts['summaries ' + summary.state] += 1
                assert MARKER in summary.parent_text
                marked_texts(summary, 'summary (%s)' % summary.state)
            for agreement in folders['agreements']:
                for event in agreement.event_list():
                    if event.kind == 'invited':
                        counts['invitation notes'] += 1
                        assert MARKER in event.detail
            # No family member sees a history; still, every comment in it
            # is internal and carries the marker.
            for obj in sum(folders.values(), []):
                for entry in getattr(obj, 'history', ()):
                    if entry.comment:
                        counts['history comments'] += 1
                        counts['history: ' + entry.transition] += 1
                        assert MARKER in entry.comment, (entry.transition, entry.comment)
    # None of the loops above was empty.
    for kind in ('clients', 'goals', 'notes', 'restricted links', 'diagnosis codes',
                 'medications', 'guardian contact instructions', 'disclosures',
                 'disclosure recipients', 'insurer names', 'justifications', 'requests',
                 'review comments', 'summaries draft', 'summaries minor_review',
                 'summaries withdrawn', 'invitation notes', 'history comments',
                 'history: withdraw', 'history: sign_off'):
        assert counts[kind] > 0, kind


def test_without_a_marker_no_field_starts_with_a_stray_space(site):
    assert run(seed, site.ini, '--quiet', '--clients', '3')[0] == 0
    with open_db(site) as (root, clinic):
        for client in clinic['clients'].values():
            assert client.diagnosis == client.diagnosis.strip()
            for goal in client['goals'].values():
                assert goal.clinical_text == goal.clinical_text.strip()


def test_seeding_is_deterministic_across_databases(site, other_site):
    def people(s):
        with open_db(s) as (root, clinic):
            return Counter((c.first_name, c.last_name, c.date_of_birth)
                           for c in clinic['clients'].values())

    assert run(seed, site.ini, '--quiet')[0] == 0
    assert run(seed, other_site.ini, '--quiet')[0] == 0
    first, second = people(site), people(other_site)
    assert sum(first.values()) > 30
    assert first == second


def test_seed_refuses_a_production_like_config(tmp_path):
    from minorconsent.scripts import seed
    ini = tmp_path / 'prod.ini'
    ini.write_text('[app:main]\nuse = egg:minorconsent\n'
                   'zodbconn.uri = file://%s/Data.fs?blobstorage_dir=%s/blobs\n'
                   'zodbconn.uri.audit = file://%s/Audit.fs\n'
                   'minorconsent.password_profile = cheapest\n'
                   'minorconsent.public_url = https://portal.clinic.example\n'
                   'minorconsent.secure_cookies = true\n' % (tmp_path, tmp_path, tmp_path))
    assert seed.main([str(ini), '--quiet']) == 2
    assert seed.main([str(ini), '--quiet', '--clients', '1', '--allow-secure-config']) == 0
