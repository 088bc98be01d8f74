"""The security review of the caseload import (issue 18), what a file does
to the records: each finding's reproduction kept as a regression test.  A
file never brings back a restricted guardian or widens what staff
narrowed, a conflict leaves out all its rows, both passes read the rows
checked, a run cut short is on the trail, ids are matched whatever their
case, an erased client is not made again.  The admin page's findings:
test_import_review_page.py."""
import hashlib
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
from minorconsent.clients import update_guardian_link
from minorconsent.clients.retention import erase
from minorconsent.clients.revision import revision_of

from support import audit_entries, mails_since, sign_in
from review_support import (check, example_line, header,  # noqa: F401 (fixtures)
                            own_upload_folder, report_of)

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
