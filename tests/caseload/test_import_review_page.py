"""The security review of the caseload import (issue 18), the admin page's
findings: each reproduction kept as a regression test.  The admin, who sees
no client record (SECURITY.md, "Who is who"), may bring new clients in on
the page, never change, link to or learn about a client the clinic holds;
the page's check is no oracle; the page takes one megabyte; uploads are
one per admin, private and pruned.  The operator's console keeps the full
update.  What a file does to the records: test_import_review.py."""
import hashlib
import io
import os
import stat
import time

import pytest

from minorconsent.caseload import importer, uploads
from minorconsent.caseload.importer import Options, run_import
from minorconsent.caseload.store import find_client
from minorconsent.clients import Client, update_guardian_link

from support import audit_entries, sign_in
from review_support import (EVE, URL, check, example_line, header,  # noqa: F401 (fixtures)
                            own_upload_folder, report_of)

def test_finding1_the_page_never_writes_a_client_the_clinic_holds(app, clinic, header,
                                                                  caseload_import,
                                                                  example_csv):
    caseload_import(example_csv)
    admin = sign_in(app, 'admin@demo.test')
    res = check(admin, (header + '\n' + EVE + '\n').encode())
    assert 'rows for clients already in the clinic: 1 (change them on the client page, ' \
           'or have the operator run minorconsent-import)' in report_of(res)
    res = res.forms['confirm'].submit()
    assert 'rows for clients already in the clinic: 1' in report_of(res)
    with clinic() as c:
        sofia = find_client(c, 'C-1001')
        assert sofia.first_name == 'Sofia'
        assert c['users'].find_by_email('eve.spy@demo.test') is None
        assert len(sofia['guardians']) == 2


def test_finding1_the_page_never_matches_by_the_apps_own_id(app, clinic, demo, header):
    with clinic() as c:
        therapist = c['users'][demo.user_ids['therapist']]
        client = Client('Juniper', 'Okafor', c['clients'][demo.lucia].date_of_birth,
                        [therapist.__name__])
        c['clients'].add_client(client)
        cid = client.__name__
        born = client.date_of_birth.isoformat()
    row = '%s,X,Y,%s,US-CA,%s,,Eve,Spy,eve.spy@demo.test,legal-guardian,yes,no,en,yes,no,' \
          'yes,no' % (cid, born, 'therapist@demo.test')
    admin = sign_in(app, 'admin@demo.test')
    check(admin, (header + '\n' + row + '\n').encode()).forms['confirm'].submit()
    with clinic() as c:
        juniper = c['clients'][cid]
        assert juniper.first_name == 'Juniper' and len(juniper['guardians']) == 0
        assert getattr(juniper, 'external_id', None) is None
        assert find_client(c, cid, by_app_id=False) is not juniper


def test_finding1_the_console_still_updates_a_client(clinic, header, caseload_import,
                                                     example_csv, tmp_path):
    caseload_import(example_csv)
    path = tmp_path / 'one.csv'
    path.write_text(header + '\n' + example_line(example_csv, 'C-1001', 'hannah')
                    .replace('Sofia', 'Sophie') + '\n')
    report = caseload_import(path)
    assert report.counts['clients updated'] == 1
    with clinic() as c:
        assert find_client(c, 'C-1001').first_name == 'Sophie'


def test_finding2_the_pages_check_is_no_oracle_and_is_audited(app, clinic, header,
                                                              caseload_import, example_csv):
    caseload_import(example_csv)
    with clinic() as c:
        tomas = find_client(c, 'C-1002')
        hannah = c['users'].find_by_email('hannah.marlowe@demo.test').__name__
        update_guardian_link(c, tomas, tomas['guardians'][hannah], 'staff', restricted=True)
        admin_id = c['users'].find_by_email('admin@demo.test').__name__
    admin = sign_in(app, 'admin@demo.test')
    before = len(audit_entries(app))
    right = example_line(example_csv, 'C-1002', 'hannah')
    wrong = right.replace('Tomas', 'Thomas')
    texts = []
    for line in (right, wrong):
        content = (header + '\n' + line + '\n').encode()
        text = report_of(check(admin, content))
        texts.append(text.replace(hashlib.sha256(content).hexdigest(), 'SHA'))
    assert texts[0] == texts[1]         # a right guess reads as a wrong one
    for word in ('unchanged', 'updated', 'kept', 'Nothing changed', 'not sent'):
        assert word not in texts[0]
    assert 'Rows read: 1' in texts[0] and 'rows for clients already in the clinic: 1' in texts[0]
    checks = [e for e in audit_entries(app)[before:] if e['action'] == 'caseload.check']
    assert len(checks) == 2 and all(e['actor'] == admin_id for e in checks)
    content = (header + '\n' + right + '\n').encode()
    assert hashlib.sha256(content).hexdigest() in checks[0]['detail']
    assert 'rows 1' in checks[0]['detail'] and 'Hannah' not in checks[0]['detail']


def test_finding2_the_console_keeps_its_full_report(caseload_import, example_csv):
    caseload_import(example_csv)
    again = caseload_import(example_csv)
    assert 'Nothing changed: the clinic already holds everything this file says.' in \
        again.lines()
    assert again.counts['clients unchanged'] == 6


def test_finding8_the_page_takes_one_megabyte(app, example_csv):
    admin = sign_in(app, 'admin@demo.test')
    assert 'Files up to 1 MB' in admin.get(URL).text
    content = example_csv.read_bytes()
    exactly = content + b'\n' * ((1 << 20) - len(content))
    assert len(exactly) == 1 << 20
    res = check(admin, exactly, create_accounts=True)     # with the form's framing: it passes
    assert res.status_int == 200 and 'new clients: 6' in report_of(res)
    over = check(admin, exactly + b'\n')
    assert over.status_int == 400
    assert 'The file is larger than 1 MB. Import a larger caseload with the console script ' \
           'minorconsent-import.' in over.text


def test_finding8_a_dry_run_keeps_memory_bounded(clinic, example_csv, monkeypatch):
    monkeypatch.setattr(importer, 'BATCH', 3)
    with clinic() as c:
        calls = []
        c._p_jar.cacheGC = lambda: calls.append(1)
        report = run_import(c, str(example_csv), Options(dry_run=True, create_accounts=True))
        del c._p_jar.cacheGC
    assert report.rows == 10 and len(calls) == 3 + 3       # both passes, every 3 rows


def test_finding10_one_pending_upload_whose_options_cannot_be_swapped(app, clinic,
                                                                      example_csv):
    admin = sign_in(app, 'admin@demo.test')
    content = example_csv.read_bytes()
    first = check(admin, content, create_accounts=True)
    confirm = first.forms['confirm']
    check(admin, content, create_accounts=True, valid_rows_only=True)    # a second check
    with clinic() as c:
        admin_id = c['users'].find_by_email('admin@demo.test').__name__
    kept = sorted(os.listdir(uploads.folder_for(admin_id)))
    assert len(kept) == 2 and kept[1] == kept[0] + '.json'      # one pending upload
    assert confirm.submit(expect_errors=True).status_int == 400     # the first is gone
    with clinic() as c:
        assert find_client(c, 'C-1001') is None


def test_finding10_uploads_live_in_a_private_folder_under_var(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, 'ROOT', None)
    settings = {'zodbconn.uri': 'file://%s/var/Data.fs?blobstorage_dir=x' % tmp_path}
    (tmp_path / 'var').mkdir()
    folder = uploads.folder_for('admin1', settings)
    assert folder == str(tmp_path / 'var' / 'caseload-uploads' / 'admin1')
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
    own = {uploads.SETTING: str(tmp_path / 'mine')}
    assert uploads.root_for(own) == str(tmp_path / 'mine')
    # A link, or a folder others may enter, is refused.
    (tmp_path / 'elsewhere').mkdir(mode=0o700)
    os.symlink(tmp_path / 'elsewhere', tmp_path / 'linked')
    with pytest.raises(uploads.UnsafeFolder):
        uploads.folder_for('admin1', {uploads.SETTING: str(tmp_path / 'linked')})
    (tmp_path / 'open').mkdir()
    os.chmod(tmp_path / 'open', 0o755)
    with pytest.raises(uploads.UnsafeFolder):
        uploads.folder_for('admin1', {uploads.SETTING: str(tmp_path / 'open')})


def test_finding10_every_admins_old_files_are_pruned_on_each_upload(tmp_path, monkeypatch):
    monkeypatch.setattr(uploads, 'ROOT', str(tmp_path / 'up'))
    old = uploads.keep(io.BytesIO(b'a,b\n'), 'admin1', {}, 1000)
    stale = os.path.join(uploads.folder_for('admin1'), old)
    for path in (stale, stale + '.json'):
        os.utime(path, (time.time() - 2 * uploads.MAX_AGE,) * 2)
    fresh = uploads.keep(io.BytesIO(b'c,d\n'), 'admin2', {}, 1000)
    assert os.listdir(uploads.folder_for('admin1')) == []
    assert uploads.find('admin2', fresh)[1] == hashlib.sha256(b'c,d\n').hexdigest()
