"""minorconsent-import on a clinic on disk (issue 18 item 1): the dry run
writes nothing, the import writes and commits, a second run changes
nothing and says so, a bad file exits 1 having written nothing, and
``--valid-rows-only`` imports the rest and lists what it left out."""
import getpass
import pathlib
import sys

from ZODB import DB
from ZODB.FileStorage import FileStorage

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'scripts'))

from minorconsent.audit.chain import log_of  # noqa: E402
from minorconsent.caseload.store import find_client  # noqa: E402
from minorconsent.scripts import caseload_import, seed  # noqa: E402

from scripthelpers import last_transaction, open_db, run, site  # noqa: E402,F401


def audit_entries(site):
    """The sealed entries of the site's audit trail (the script seals its own)."""
    db = DB(FileStorage(str(site.dir / 'Audit.fs'), read_only=True))
    try:
        log = log_of(db.open().root(), create=False)
        return [log.get(seq) for seq in log.entries.keys()]
    finally:
        db.close()


def seeded(site):
    """The demo clinic on disk, mail written to a folder beside it."""
    with open(site.ini, 'a') as ini:
        ini.write('minorconsent.mail_debug = %s/mail\n' % site.dir)
        ini.write('minorconsent.public_url = https://portal.demo.test\n')
        ini.write('mail.default_sender = no-reply@demo.test\n')
    assert run(seed, site.ini, '--clients', '0', '--quiet')[0] == 0


def test_the_console_script(site, example_csv, tmp_path):  # noqa: F811
    seeded(site)
    before = last_transaction(site)
    code, out, err = run(caseload_import, site.ini, example_csv, '--dry-run',
                         '--create-accounts', '--quiet')
    assert code == 0
    assert 'Dry run: nothing was written.' in out and 'clients added: 6' in out
    assert last_transaction(site) == before

    code, out, err = run(caseload_import, site.ini, example_csv, '--create-accounts')
    assert code == 0, out + err
    assert 'Imported.' in out and 'guardian links added: 9' in out
    assert 'row' in err                      # the progress bar, on stderr
    with open_db(site) as (root, clinic):
        assert find_client(clinic, 'C-1006').first_name == 'Marco'
    entries = [e for e in audit_entries(site) if e['action'] == 'caseload.import']
    assert len(entries) == 1
    assert entries[0]['actor'] == 'system'
    assert 'minorconsent-import run by OS user %s' % getpass.getuser() in entries[0]['detail']
    assert 'clients added: 6' in entries[0]['detail']

    code, out, _ = run(caseload_import, site.ini, example_csv, '--quiet')
    assert code == 0
    assert 'Nothing changed: the clinic already holds everything this file says.' in out

    bad = tmp_path / 'bad.csv'
    lines = example_csv.read_text().splitlines()
    bad.write_text('\n'.join([lines[0], lines[1].replace('C-1001', 'C-2001'),
                              lines[2].replace('C-1001', 'C-2002').replace('2014-03-12',
                                                                          '2014-02-30')]))
    before = last_transaction(site)
    code, out, _ = run(caseload_import, site.ini, bad, '--quiet')
    assert code == 1
    assert 'row 3, date_of_birth: "2014-02-30" is not a date' in out
    assert 'Nothing was written: 1 row has problems.' in out
    assert last_transaction(site) == before

    code, out, _ = run(caseload_import, site.ini, bad, '--quiet', '--valid-rows-only')
    assert code == 0
    assert 'Left out (rows with problems): 3' in out
    with open_db(site) as (root, clinic):
        assert find_client(clinic, 'C-2001') is not None
        assert find_client(clinic, 'C-2002') is None


def test_an_unknown_agreement_text_is_refused_before_anything(site, example_csv):  # noqa: F811
    seeded(site)
    code, out, _ = run(caseload_import, site.ini, example_csv, '--quiet', '--create-accounts',
                       '--invite', 'no-such-text')
    assert code == 1
    assert '--invite: there is no agreement text "no-such-text"' in out


def test_invitations_are_sent_for_the_named_texts(site, example_csv):  # noqa: F811
    seeded(site)
    code, out, _ = run(caseload_import, site.ini, example_csv, '--quiet', '--create-accounts',
                       '--invite', 'consent')
    assert code == 0, out
    # Marco (C-1006) has no guardian, Lila (C-1005) one with authority.
    with open_db(site) as (root, clinic):
        lila = find_client(clinic, 'C-1005')
        assert [a.state for a in lila['agreements'].values()] == ['sent']
        marco = find_client(clinic, 'C-1006')
        assert 'agreements' not in marco or not [
            a for a in marco['agreements'].values() if a.state == 'sent']
    code, out, _ = run(caseload_import, site.ini, example_csv, '--quiet', '--invite', 'consent')
    assert 'agreements sent' not in out      # each already waits: none again
