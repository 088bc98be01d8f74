"""Bad caseload files (issue 18, "Bad input"): each problem is named by row,
column and a plain reason, a file with any bad row writes nothing (unless
the valid rows only are asked for, and then the report lists what was left
out), and no file content, however malformed, raises."""
import csv
import datetime
import io

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from minorconsent.caseload.checking import RowChecker
from minorconsent.caseload.columns import NAMES, parse_row
from minorconsent.caseload.importer import Options, run_import
from minorconsent.caseload.reading import FileProblem, read_rows
from minorconsent.caseload.store import find_client

GOOD = {'client_id': 'K-1', 'client_given_name': 'Wren', 'client_family_name': 'Halloway',
        'date_of_birth': '2013-04-04', 'jurisdiction': 'US-CA',
        'therapist_email': 'therapist@demo.test', 'client_email': '',
        'guardian_given_name': 'Ines', 'guardian_family_name': 'Halloway',
        'guardian_email': 'ines.halloway@demo.test', 'relationship': 'mother',
        'legal_authority': 'yes', 'restricted': 'no', 'language': 'en',
        'contact_email': 'yes', 'contact_text': 'no', 'contact_phone': 'yes',
        'contact_voicemail': 'no'}


def row(**changes):
    values = dict(GOOD)
    values.update(changes)
    return values


def write_csv(path, rows, delimiter=',', bom=False):
    out = io.StringIO()
    writer = csv.DictWriter(out, NAMES, delimiter=delimiter, lineterminator='\r\n')
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes((b'\xef\xbb\xbf' if bom else b'') + out.getvalue().encode('utf-8'))
    return path


def nothing_written(clinic, *ids):
    with clinic() as c:
        return all(find_client(c, cid) is None for cid in ids) and \
            c['users'].find_by_email('ines.halloway@demo.test') is None


@pytest.mark.parametrize('change, expected', [
    ({'date_of_birth': '2031-02-30'}, 'row 3, date_of_birth: "2031-02-30" is not a date'),
    ({'date_of_birth': '04/04/2013'}, 'row 3, date_of_birth: "04/04/2013" is not a date'),
    ({'therapist_email': 'nobody@demo.test'},
     'row 3, therapist_email: nobody@demo.test: no therapist with this address'),
    ({'therapist_email': 'guardian@demo.test'},
     "row 3, therapist_email: guardian@demo.test: this address belongs to an account "
     "that is not a therapist's"),
    ({'date_of_birth': '2001-01-01'}, 'row 3, date_of_birth: the client is 2'),   # 25 or more
    ({'date_of_birth': '2090-01-01'}, 'row 3, date_of_birth: 2090-01-01 is in the future'),
    ({'language': 'Klingon'}, 'row 3, language: "Klingon" is not a language the portal offers'),
    ({'jurisdiction': 'US-ZZ'}, 'row 3, jurisdiction: US-ZZ is not a jurisdiction the clinic'),
    ({'relationship': 'uncle-ish'}, 'row 3, relationship: "uncle-ish" is not a relationship'),
    ({'legal_authority': 'maybe'}, 'row 3, legal_authority: "maybe" is neither yes nor no'),
    ({'legal_authority': ''}, 'row 3, legal_authority: is empty; say yes or no'),
    ({'client_given_name': 'Wr\x07en'},
     'row 3, client_given_name: contains invisible control characters'),
    ({'client_id': ''}, 'row 3, client_id: is empty; this column is required'),
    ({'guardian_email': 'admin@demo.test'},
     'row 3, guardian_email: this address belongs to a staff account'),
    ({'guardian_email': 'teen@demo.test'},
     "row 3, guardian_email: this address belongs to a client's own account"),
    ({'client_email': 'wren@demo.test', 'date_of_birth': '2020-01-01'},
     'row 3, client_email: the client is under 12'),
    ({'client_email': 'guardian@demo.test'},
     'row 3, client_email: This address belongs to another account at the clinic.'),
])
def test_a_bad_row_is_named_and_nothing_is_written(clinic, caseload_import, tmp_path,
                                                   change, expected):
    path = write_csv(tmp_path / 'bad.csv', [row(client_id='K-0'), row(**change)])
    report = caseload_import(path, create_accounts=False)
    assert report.blocked and not report.written
    assert any(line.startswith(expected) for line in report.lines()), report.lines()
    assert report.verdict().startswith('Nothing was written: 1 row has problems.')
    assert nothing_written(clinic, 'K-0', 'K-1')


def test_rows_that_disagree_are_named_together(caseload_import, tmp_path, clinic):
    path = write_csv(tmp_path / 'two.csv', [
        row(), row(client_id='K-2'), row(relationship='father'),
        row(client_id='K-2', client_family_name='Other')])
    report = caseload_import(path)
    lines = report.lines()
    assert 'row 4, relationship: rows 2 and 4 give the same guardian two relationships to ' \
           'one child' in lines
    assert 'row 5, client_family_name: rows 3 and 5 give client K-2 two different ' \
           'client_family_name' in lines
    assert nothing_written(clinic, 'K-1', 'K-2')


def test_one_address_as_guardian_and_therapist_is_refused(caseload_import, tmp_path, clinic):
    path = write_csv(tmp_path / 'roles.csv', [
        row(), row(client_id='K-2', therapist_email='ines.halloway@demo.test',
                   guardian_email='other@demo.test')])
    report = caseload_import(path)
    assert "row 2, guardian_email: this address is a therapist's in row 3" in report.lines()
    assert nothing_written(clinic, 'K-1', 'K-2')


def test_valid_rows_only_imports_the_rest_and_lists_what_was_left_out(caseload_import,
                                                                     tmp_path, clinic):
    path = write_csv(tmp_path / 'mixed.csv', [
        row(), row(client_id='K-2', date_of_birth='2013-13-01'),
        row(client_id='K-3', guardian_email='k3@demo.test')])
    report = caseload_import(path, valid_rows_only=True)
    assert report.written
    assert 'Left out (rows with problems): 3' in report.lines()
    assert report.counts['clients added'] == 2
    with clinic() as c:
        assert find_client(c, 'K-1') and find_client(c, 'K-3') and not find_client(c, 'K-2')


@pytest.mark.parametrize('content, expected', [
    (b'client_id,client_given_name\n"K-1,Wren\n', 'lacks the required columns'),
    (','.join(NAMES).encode() + b'\n"K-1,Wren,Halloway\n', 'Row 2: the file ends inside a '
                                                            'quoted cell'),
    (b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR' + bytes(range(256)) * 4,
     'The file is not a CSV or XLSX file: it holds binary data.'),
    (','.join(NAMES).encode() + b'\n' + b'K-1,' * 10_000 + b'\n', 'Row 2 has 10001 cells'),
    (','.join(NAMES).encode() + b'\nK-1,Wr\xe9n,Halloway\n', 'Row 2: the file is not UTF-8'),
    (','.join(NAMES).encode() + b'\n' + b'x' * (2 << 20), 'Row 2 is far too long'),
    (','.join(NAMES).encode() + b'\nK-1,"' + b'y' * 5000 + b'",H\n',
     'Row 2, client_given_name: the cell holds 5000 characters'),
    (b'', 'Row 1 (the header) is empty'),
    (b'PK\x03\x04not really a zip', 'The file is not a readable XLSX workbook'),
    (','.join(NAMES + ('notes',)).encode() + b'\n', 'columns that are not caseload columns: '
                                                   'notes'),
])
def test_a_malformed_file_is_one_clear_sentence_and_writes_nothing(caseload_import, tmp_path,
                                                                   clinic, content, expected):
    path = tmp_path / 'broken.csv'
    path.write_bytes(content)
    report = caseload_import(path)
    assert report.file_error and expected in report.file_error, report.file_error
    assert not report.written
    assert 'Nothing was written: the file cannot be read.' in report.lines()
    assert nothing_written(clinic, 'K-1')


def test_a_long_file_with_an_open_quote_names_the_row(caseload_import, tmp_path):
    rows = [row(client_id='K-%d' % n) for n in range(1, 40)]
    rows[20]['client_given_name'] = '"Wren'        # row 22 (the header is row 1)
    path = tmp_path / 'quote.csv'
    text = write_csv(path, rows).read_text().replace('"""Wren"', '"Wren')
    path.write_text(text)
    report = caseload_import(path)
    assert report.file_error.startswith('Row 22: the file ends inside a quoted cell'), report.file_error


def test_bom_semicolons_and_spreadsheet_words_are_read(caseload_import, tmp_path, clinic):
    path = write_csv(tmp_path / 'excel.csv', [row(relationship='Step parent',
                                                  legal_authority='TRUE', language='Español',
                                                  restricted='No')],
                     delimiter=';', bom=True)
    report = caseload_import(path)
    assert report.written and not report.problems, report.lines()
    with clinic() as c:
        client = find_client(c, 'K-1')
        link = next(iter(client['guardians'].values()))
        assert (link.relationship, link.legal_authority) == ('step-parent', True)


def test_an_xlsx_sheet_is_read_in_read_only_mode(caseload_import, tmp_path, clinic):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(NAMES))
    values = row(client_id='1001')
    cells = [values[name] for name in NAMES]
    cells[NAMES.index('client_id')] = 1001                  # a number, as typed
    cells[NAMES.index('date_of_birth')] = datetime.date(2013, 4, 4)
    sheet.append(cells)
    bad = [values[name] for name in NAMES]
    bad[NAMES.index('client_id')] = 'X-2'
    bad[NAMES.index('date_of_birth')] = 'soon'
    sheet.append(bad)
    path = tmp_path / 'caseload.xlsx'
    book.save(path)
    report = caseload_import(path)
    assert 'row 3, date_of_birth: "soon" is not a date: write it as YYYY-MM-DD' in report.lines()
    report = caseload_import(path, valid_rows_only=True)
    assert report.counts['clients added'] == 1
    with clinic() as c:
        assert find_client(c, '1001').date_of_birth.isoformat() == '2013-04-04'


cell_text = st.one_of(st.text(max_size=30), st.sampled_from(
    ['', 'yes', 'no', '2013-04-04', '2031-02-30', 'therapist@demo.test', 'admin@demo.test',
     'mother', 'es', 'US-CA', '=cmd|x', '<b>x</b>', '\x00', '1001']),
    st.integers(), st.floats(allow_nan=True), st.dates(), st.booleans(), st.none())


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.dictionaries(st.sampled_from(NAMES), cell_text), min_size=1, max_size=4))
def test_hypothesis_rows_never_raise(clinic, rows):
    """Any cells, of any type, give values and problems, never an exception."""
    with clinic() as c:
        checker = RowChecker(c, create_accounts=False)
        for number, cells in enumerate(rows, 2):
            values, problems = checker.check(number, cells)
            assert set(values) == set(NAMES)
            for column, reason in problems:
                assert column in NAMES and isinstance(reason, str) and reason
        checker.finish()
        assert parse_row({})[1]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.sampled_from([b'', ','.join(NAMES).encode() + b'\n']))
def test_hypothesis_files_give_rows_or_one_file_problem(tmp_path_factory, content, header):
    path = tmp_path_factory.mktemp('fuzz') / 'file.csv'
    path.write_bytes(header + content)
    try:
        for number, cells in read_rows(str(path)):
            assert number >= 2 and set(cells) <= set(NAMES)
    except FileProblem as exc:
        assert str(exc)


def test_a_cell_the_export_neutralised_reads_as_it_went_out():
    """site.csvsafe.cell puts an apostrophe before = + - @; the reader
    takes it off (a name "=Kim" round-trips), and leaves other
    apostrophes alone."""
    values, problems = parse_row(row(client_given_name="'=Kim", client_family_name="'+Ode",
                                     guardian_given_name="O'Hara"))
    assert not problems
    assert (values['client_given_name'], values['client_family_name'],
            values['guardian_given_name']) == ('=Kim', '+Ode', "O'Hara")


near_valid = st.fixed_dictionaries({
    'client_id': st.sampled_from(['K-1', 'K-2', 'K-3', '', 'bad id']),
    'client_given_name': st.sampled_from(['Wren', 'Ünal', '<i>x</i>', '=1+1', '', 'a' * 120]),
    'client_family_name': st.sampled_from(['Halloway', "O'Brien", 'Nguyễn']),
    'date_of_birth': st.sampled_from(['2013-04-04', '2016-09-30', '2001-01-01', '2013-02-30']),
    'jurisdiction': st.sampled_from(['', 'US-CA', 'US-ZZ', 'us-wa']),
    'therapist_email': st.sampled_from(['therapist@demo.test', 'therapist2@demo.test',
                                        'therapist@demo.test therapist2@demo.test',
                                        'new.therapist@demo.test', 'k1@demo.test']),
    'client_email': st.sampled_from(['', '', 'k1@demo.test', 'guardian@demo.test',
                                     'new.therapist@demo.test']),
    'guardian_given_name': st.sampled_from(['Ines', '']),
    'guardian_family_name': st.sampled_from(['Halloway', '']),
    'guardian_email': st.sampled_from(['', 'ines@demo.test', 'k1@demo.test',
                                       'guardian@demo.test', 'admin@demo.test']),
    'relationship': st.sampled_from(['mother', 'Father', '', 'x']),
    'legal_authority': st.sampled_from(['yes', 'no', '']),
    'restricted': st.sampled_from(['yes', 'no', '']),
    'language': st.sampled_from(['', 'es', 'en', 'fr']),
    'contact_email': st.sampled_from(['', 'yes', 'no']),
    'contact_text': st.sampled_from(['', 'yes', 'no']),
    'contact_phone': st.just(''), 'contact_voicemail': st.just('')})


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(near_valid, min_size=1, max_size=5), st.booleans())
def test_hypothesis_files_import_or_refuse_and_never_raise(clinic, tmp_path_factory, rows,
                                                          create_accounts):
    """Whole imports of generated files (valid rows only, with and without
    accounts): never an exception; a second run of the same file changes
    nothing."""
    path = write_csv(tmp_path_factory.mktemp('gen') / 'gen.csv', rows)
    with clinic() as c:
        options = Options(valid_rows_only=True, create_accounts=create_accounts)
        first = run_import(c, str(path), options)
        second = run_import(c, str(path), options)
    assert first.rows == second.rows == len(rows)
    assert first.bad_rows == second.bad_rows
    assert not second.changed, second.lines()
