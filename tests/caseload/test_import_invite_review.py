"""Issue 18 review, finding 9: ``--invite`` is idempotent across what the
family or staff decided (a declined or revoked agreement is not sent
again by a file), and each agreement it sends says which import sent it
and who ran it."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'scripts'))

from minorconsent.caseload.store import find_client  # noqa: E402
from minorconsent.scripts import caseload_import, seed  # noqa: E402

from scripthelpers import open_db, run, site  # noqa: E402,F401


def seeded(site):  # noqa: F811
    with open(site.ini, 'a') as ini:
        ini.write('minorconsent.mail_debug = %s/mail\n' % site.dir)
        ini.write('minorconsent.public_url = https://portal.demo.test\n')
        ini.write('mail.default_sender = no-reply@demo.test\n')
    assert run(seed, site.ini, '--clients', '0', '--quiet')[0] == 0


def consents(clinic, external_id):
    folder = find_client(clinic, external_id).get('agreements')
    return sorted(a.state for a in folder.values() if a.kind == 'consent') if folder else []


def test_finding9_a_declined_agreement_is_not_sent_again(site, example_csv):  # noqa: F811
    seeded(site)
    code, out, _ = run(caseload_import, site.ini, example_csv, '--quiet', '--create-accounts',
                       '--invite', 'consent')
    assert code == 0, out
    with open_db(site, commit=True) as (root, clinic):
        assert consents(clinic, 'C-1001') == ['sent']
        agreement = [a for a in find_client(clinic, 'C-1001')['agreements'].values()][0]
        sent = [e for e in agreement.event_list() if e.kind == 'sent']
        assert sent and sent[0].detail.startswith('sent by caseload import ')
        assert sent[0].detail.endswith(', run by system')
        agreement.state = 'declined'        # the family declined
    for _ in range(2):
        code, out, _ = run(caseload_import, site.ini, example_csv, '--quiet', '--invite',
                           'consent')
        assert code == 0 and 'agreements sent' not in out, out
    with open_db(site) as (root, clinic):
        assert consents(clinic, 'C-1001') == ['declined']
        assert consents(clinic, 'C-1005') == ['sent']
