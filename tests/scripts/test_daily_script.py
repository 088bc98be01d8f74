"""minorconsent-daily on a seeded clinic on disk: every registered task
reports a line, a second run of the same day does nothing again, the
audit entries waiting are sealed and the chain's head reaches the
privacy officer's address from the ini file (issue 17 item 6)."""
import email
import os

from minorconsent.audit.chain import log_of
from minorconsent.scripts import daily, seed

from scripthelpers import run, site  # noqa: F401  (fixture)

OFFICER = 'privacy-officer@demo.test'


def configure(site, mail_dir):
    with open(site.ini, 'a') as ini:
        ini.write('minorconsent.mail_debug = %s\n' % mail_dir)
        ini.write('minorconsent.public_url = https://portal.demo.test\n')
        ini.write('minorconsent.audit.head_mail_to = %s\n' % OFFICER)


def chain_head(site, seq=None):
    """``(head seq, head hash, entries waiting, hash of entry seq)``."""
    from ZODB import DB
    from ZODB.FileStorage import FileStorage
    db = DB(FileStorage(str(site.dir / 'Audit.fs'), read_only=True))
    try:
        audit_log = log_of(db.open().root(), create=False)
        entry = audit_log.get(seq) if seq else None
        return (audit_log.head_seq, audit_log.head_hash, len(audit_log.inbox),
                entry['hash'] if entry else None)
    finally:
        db.close()


def mails_to(mail_dir, address):
    found = []
    for name in sorted(os.listdir(mail_dir)):
        with open(os.path.join(mail_dir, name), 'rb') as f:
            message = email.message_from_bytes(f.read())
        if address in message['To']:
            found.append(message)
    return found


def test_each_task_once_a_day_and_the_head_mailed(site, tmp_path):
    mail_dir = tmp_path / 'mail'
    mail_dir.mkdir()
    configure(site, mail_dir)
    assert run(seed, site.ini, '--quiet', '--clients', '1')[0] == 0

    code, out, _ = run(daily, site.ini, '--date', '2027-01-04')
    assert code == 0, out
    lines = dict(line.split(': ', 1) for line in out.strip().splitlines())
    assert lines['audit-seal'].startswith('done')
    assert lines['audit-head'] == 'done (1 mailed)'
    (mail,) = mails_to(mail_dir, OFFICER)
    body = mail.get_payload(decode=True).decode()
    fields = dict(line.split(None, 1) for line in body.splitlines()
                  if line.startswith(('entry ', 'head ')))
    mailed_seq, mailed_head = int(fields['entry']), fields['head'].strip()
    seq, head, waiting, hash_of_mailed = chain_head(site, mailed_seq)
    # Sealed first, so nothing waited when the head was taken; the head
    # mailed is on the chain (the run's own entries may follow it).
    assert waiting == 0 and 0 < mailed_seq <= seq
    assert hash_of_mailed == mailed_head and len(mailed_head) == 64
    assert 'client' not in body.lower() and 'guardian' not in body.lower()

    code, out, _ = run(daily, site.ini, '--date', '2027-01-04')
    assert code == 0
    assert all(status.startswith('done before') for status in
               dict(line.split(': ', 1) for line in out.strip().splitlines()).values())
    assert len(mails_to(mail_dir, OFFICER)) == 1

    code, out, _ = run(daily, site.ini, '--date', '2027-01-05')
    assert code == 0 and 'audit-head: done (1 mailed)' in out
    assert len(mails_to(mail_dir, OFFICER)) == 2


def test_without_an_address_the_head_is_not_mailed(site, tmp_path):
    assert run(seed, site.ini, '--quiet', '--clients', '1')[0] == 0
    code, out, _ = run(daily, site.ini, '--date', '2027-01-04', '--task', 'audit-head')
    assert code == 0
    assert out.strip() == 'audit-head: done (1 not configured)'
