"""The security review of the caseload import (issue 18): each finding's
reproduction, kept as a regression test.  The admin, who sees no client
record (SECURITY.md, "Who is who"), may bring new clients in on the page,
never change, link to or learn about a client the clinic holds; the
operator's console keeps the full update."""
import hashlib
import io
import os
import stat
import tempfile
import time

import pytest

from minorconsent.accounts import THERAPIST
from minorconsent.caseload import applying, importer, uploads
from minorconsent.caseload.applying import ImportRun
from minorconsent.caseload.importer import Options, run_import
from minorconsent.caseload.store import find_client
from minorconsent.clients import Client, update_guardian_link
from minorconsent.clients.retention import erase
from minorconsent.clients.revision import revision_of

from support import audit_entries, mails_since, sign_in

URL = '/caseload-import'


@pytest.fixture(autouse=True)
def own_upload_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(uploads, 'ROOT', str(tmp_path / 'up'))


@pytest.fixture
def header(example_csv):
    return example_csv.read_text().splitlines()[0]


def example_line(example_csv, prefix, who):
    return [line for line in example_csv.read_text().splitlines()
            if line.startswith(prefix) and who in line][0]


def check(browser, content, **options):
    form = browser.get(URL).forms['form']
    form['upload'] = ('c.csv', content)
    for key, value in options.items():
        form[key] = value
    return form.submit('check_file', expect_errors=True)


def report_of(res):
    section = res.html.find(id='report')
    return section.get_text(' | ', strip=True) if section is not None else ''


EVE = ('C-1001,X,Y,2014-03-12,US-CA,jordan.reyes@demo.test,,Eve,Spy,eve.spy@demo.test,'
       'legal-guardian,yes,no,en,yes,no,yes,no')


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


def test_finding3_a_restricted_guardian_does_not_come_back_by_an_old_address(
        clinic, caseload_import, example_csv):
    caseload_import(example_csv)
    with clinic() as c:
        users = c['users']
        tomas = find_client(c, 'C-1002')
        hannah = users.find_by_email('hannah.marlowe@demo.test')
        update_guardian_link(c, tomas, tomas['guardians'][hannah.__name__], 'staff',
                             restricted=True)
        users.set_email(hannah, 'hannah.new@demo.test')
        assert users.former_owner('Hannah.Marlowe@demo.test') == hannah.__name__
        before = dict(tomas['guardians'].items())
    report = caseload_import(example_csv)
    assert report.blocked and not report.written
    assert any(column == 'guardian_email' and
               reason == "this address was another account's; update the file"
               for _, column, reason in report.problems)
    with clinic() as c:
        assert c['users'].find_by_email('hannah.marlowe@demo.test') is None
        assert set(find_client(c, 'C-1002')['guardians'].keys()) == set(before)


def test_finding3_an_account_under_other_names_is_not_linked(clinic, header,
                                                            caseload_import, example_csv,
                                                            tmp_path):
    caseload_import(example_csv)
    line = example_line(example_csv, 'C-1001', 'hannah')
    path = tmp_path / 'new.csv'
    path.write_text(header + '\n' + line.replace('C-1001', 'C-2001')
                    .replace('Hannah,Marlowe', 'Eve,Spy') + '\n')
    report = caseload_import(path)
    assert report.blocked and ('guardian_given_name' in {p[1] for p in report.problems})
    with clinic() as c:
        assert find_client(c, 'C-2001') is None
    # The same names in other case and spacing are the same names.
    path.write_text(header + '\n' + line.replace('C-1001', 'C-2001')
                    .replace('Hannah,Marlowe', ' hannah , MARLOWE ') + '\n')
    assert not caseload_import(path).blocked


def test_finding4_a_file_never_widens_what_staff_narrowed(clinic, header, caseload_import,
                                                          example_csv, tmp_path):
    caseload_import(example_csv)
    with clinic() as c:
        tomas = find_client(c, 'C-1002')
        peter = c['users'].find_by_email('peter.marlowe@demo.test').__name__
        update_guardian_link(c, tomas, tomas['guardians'][peter], 'staff',
                             legal_authority=False)
        tomas['guardians'][peter].contact.update(email_ok=False)
        lone = [client for client in c['clients'].values()
                if not len(client['guardians'])][0]
        lone.contact.update(email_ok=False, phone_ok=False)
        lone_id = lone.__name__
    report = caseload_import(example_csv)
    lines = report.lines()
    assert 'authority kept (changed on the client page): 1' in lines
    assert 'contact limits kept (changed on the client page): 2' in lines
    with clinic() as c:
        link = find_client(c, 'C-1002')['guardians'][peter]
        assert link.legal_authority is False and link.contact.email_ok is False
        lone = c['clients'][lone_id]
        assert lone.contact.email_ok is False and lone.contact.phone_ok is False
    # What the file narrows is still narrowed (a file may take away).
    line = example_line(example_csv, 'C-1002', 'peter').replace(',en,yes,yes,yes,no',
                                                                    ',en,no,yes,no,no')
    path = tmp_path / 'narrow.csv'
    path.write_text(header + '\n' + line + '\n')
    caseload_import(path)
    with clinic() as c:
        assert find_client(c, 'C-1002')['guardians'][peter].contact.phone_ok is False


def test_finding5_valid_rows_only_leaves_out_every_row_of_a_conflict(clinic, header,
                                                                     caseload_import, tmp_path):
    a = ('K-1,Kai,Doe,2014-01-01,US-CA,therapist@demo.test,,Vic,Doe,vic.doe@demo.test,'
         'father,yes,no,en,yes,no,yes,no')
    b = a.replace(',father,yes,no,', ',father,yes,yes,')
    c1 = 'K-2,Ann,Roe,2014-01-01,US-CA,therapist@demo.test,,,,,,,,,yes,no,yes,no'
    c2 = c1.replace('Ann', 'Anna')
    c3 = c1
    ok = 'K-3,Bo,Poe,2014-01-01,US-CA,therapist@demo.test,,,,,,,,,yes,no,yes,no'
    path = tmp_path / 'v.csv'
    path.write_text('\n'.join([header, a, b, c1, c2, c3, ok]) + '\n')
    report = caseload_import(path, valid_rows_only=True)
    assert report.bad_rows == {2, 3, 4, 5, 6}
    with clinic() as c:
        assert find_client(c, 'K-2') is None and find_client(c, 'K-3') is not None
        kai = find_client(c, 'K-1')
        assert kai is None or not len(kai['guardians'])


def test_finding6_both_passes_read_the_rows_checked(clinic, header, tmp_path, monkeypatch):
    path = tmp_path / 'c.csv'
    path.write_text(header + '\nK-8,Kai,Doe,2014-01-01,US-CA,therapist@demo.test,,,,,,,,,'
                    'yes,no,yes,no\n')
    real = importer.check_file

    def check_then_change(*args, **kwargs):
        report = real(*args, **kwargs)
        with open(path, 'a') as f:          # an autosave between the passes
            f.write('K-9,Old,Enough,1990-01-01,US-CA,guardian@demo.test,,,,,,,,,'
                    'yes,no,yes,no\n')
        return report
    monkeypatch.setattr(importer, 'check_file', check_then_change)
    private = tmp_path / 'private'
    private.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(private))
    with clinic() as c:
        report = run_import(c, str(path), Options())
    assert report.counts['clients added'] == 1
    with clinic() as c:
        assert find_client(c, 'K-8') is not None and find_client(c, 'K-9') is None
    assert os.listdir(private) == []        # the copy is gone


def test_finding6_a_private_copy_is_the_owners_alone(tmp_path):
    path = tmp_path / 'c.csv'
    path.write_bytes(b'abc')
    copy, sha = uploads.private_copy(str(path))
    try:
        assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
        assert sha == hashlib.sha256(b'abc').hexdigest()
    finally:
        uploads.remove(copy)


def test_finding6_an_existing_account_without_the_role_is_never_a_therapist(clinic):
    with clinic() as c:
        run = ImportRun('0' * 64)
        with pytest.raises(ValueError):
            applying._account(c, 'admin@demo.test', 'admin', THERAPIST, run)
        assert THERAPIST not in c['users'].find_by_email('admin@demo.test').roles


def test_finding7_a_run_cut_short_is_on_the_trail(app, clinic, example_csv):
    class Cut(Exception):
        pass
    before = len(audit_entries(app))
    with pytest.raises(Cut):
        with clinic() as c:
            tm = c._p_jar.transaction_manager
            calls = []

            def commit():
                calls.append(1)
                if len(calls) == 3:         # the started entry, one batch, then a cut
                    raise Cut()
                tm.commit()
                tm.begin()
            run_import(c, str(example_csv), Options(create_accounts=True), commit=commit,
                       batch=3)
    entries = [e for e in audit_entries(app)[before:] if e['action'].startswith('caseload')]
    assert [e['action'] for e in entries] == ['caseload.import.started', 'caseload.import']
    assert 'outcome: stopped (Cut)' in entries[1]['detail']
    with clinic() as c:
        assert find_client(c, 'C-1001') is not None


def test_finding7_a_row_refused_at_write_time_is_a_row_problem(app, clinic, header, tmp_path,
                                                               monkeypatch):
    rows = ['K-%d,Kai,Doe,2014-01-01,US-CA,therapist@demo.test,,Gee,Doe,g%d@demo.test,'
            'mother,yes,no,en,yes,no,yes,no' % (i, i) for i in range(5)]
    path = tmp_path / 'c.csv'
    path.write_text(header + '\n' + '\n'.join(rows) + '\n')
    real = applying.link_guardian

    def refuses_one(clinic_, client, guardian, *args, **kwargs):
        if guardian.email == 'g3@demo.test':
            raise ValueError('This address belongs to a staff account.')
        return real(clinic_, client, guardian, *args, **kwargs)
    monkeypatch.setattr(applying, 'link_guardian', refuses_one)
    before = len(audit_entries(app))
    with clinic() as c:
        report = run_import(c, str(path), Options(), batch=2)
    assert (5, 'row', 'not written: This address belongs to a staff account.') in \
        report.problems
    assert report.counts['clients added'] == 4
    with clinic() as c:
        assert [i for i in range(5) if find_client(c, 'K-%d' % i)] == [0, 1, 2, 4]
        assert c['users'].find_by_email('g3@demo.test') is None     # rolled back whole
    entries = [e for e in audit_entries(app)[before:] if e['action'].startswith('caseload')]
    assert [e['action'] for e in entries] == ['caseload.import.started', 'caseload.import']
    assert 'outcome: done' in entries[1]['detail']


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


def test_finding11_ids_differing_only_in_case_are_one_client(clinic, header, caseload_import,
                                                             tmp_path):
    a = 'K-7,Kai,Doe,2014-01-01,US-CA,therapist@demo.test,,,,,,,,,yes,no,yes,no'
    path = tmp_path / 'c.csv'
    path.write_text('\n'.join([header, a, a.replace('K-7', 'k-7')]) + '\n')
    report = caseload_import(path)
    assert report.counts['clients added'] == 1 and not report.problems
    with clinic() as c:
        assert find_client(c, 'k-7') is find_client(c, 'K-7') is not None
        assert find_client(c, 'K-7').external_id == 'K-7'       # as first spelt
    path.write_text('\n'.join([header, a.replace('K-7', 'k-7').replace('Kai', 'Kay')]) + '\n')
    assert caseload_import(path).counts['clients updated'] == 1


def test_finding11_a_changed_name_or_birth_date_makes_open_forms_stale(clinic, header,
                                                                      caseload_import,
                                                                      example_csv, tmp_path):
    caseload_import(example_csv)
    with clinic() as c:
        before = revision_of(find_client(c, 'C-1001'))
    path = tmp_path / 'one.csv'
    path.write_text(header + '\n' + example_line(example_csv, 'C-1001', 'hannah')
                    .replace('2014-03-12', '2014-03-13') + '\n')
    caseload_import(path)
    with clinic() as c:
        assert revision_of(find_client(c, 'C-1001')) == before + 1


def test_an_erased_client_is_not_made_again_by_a_file(clinic, caseload_import, example_csv):
    """With retention's erased_ids: the file that brought the client in,
    imported again, names the erased client's row as a problem."""
    caseload_import(example_csv)
    with clinic() as c:
        erase(c, find_client(c, 'C-1001'))
    report = caseload_import(example_csv, valid_rows_only=True)
    assert {row for row, column, _ in report.problems if column == 'client_id'} == {2, 3}
    with clinic() as c:
        assert find_client(c, 'C-1001') is None


def test_finding7_a_refused_row_takes_back_only_itself_and_mails_nothing_twice(
        app, clinic, header, monkeypatch):
    """One batch, its middle row refused at write time: the batch goes back
    to its savepoint and its other rows are written again; no set-up link
    is mailed twice, no audit entry noted twice."""
    rows = ['R-%d,Kai,Doe,2014-01-01,US-CA,therapist@demo.test,,Gee,Doe,'
            'replay-g%d@demo.test,mother,yes,no,en,yes,no,yes,no' % (i, i) for i in range(5)]
    real = applying.link_guardian

    def refuses_one(clinic_, client, guardian, *args, **kwargs):
        if guardian.email == 'replay-g2@demo.test':
            raise ValueError('This address belongs to a staff account.')
        return real(clinic_, client, guardian, *args, **kwargs)
    monkeypatch.setattr(applying, 'link_guardian', refuses_one)
    admin = sign_in(app, 'admin@demo.test')
    since = time.time_ns()
    before = len(audit_entries(app))
    res = check(admin, (header + '\n' + '\n'.join(rows) + '\n').encode(),
                create_accounts=True).forms['confirm'].submit()
    assert 'row 4, row: not written: This address belongs to a staff account.' in \
        report_of(res)
    assert 'new clients: 4' in report_of(res)
    to = [m['To'] for m in mails_since(since) if 'replay-g' in m['To']]
    assert sorted(to) == ['replay-g%d@demo.test' % i for i in (0, 1, 3, 4)]
    with clinic() as c:
        assert [i for i in range(5) if find_client(c, 'R-%d' % i)] == [0, 1, 3, 4]
        for i in (0, 1, 3, 4):
            events = find_client(c, 'R-%d' % i).guardianship_events()
            assert [e.kind for e in events] == ['linked']       # replayed once, not twice
        assert c['users'].find_by_email('replay-g2@demo.test') is None
    actions = [e['action'] for e in audit_entries(app)[before:]]
    assert actions.count('caseload.import') == actions.count('caseload.import.started') == 1
