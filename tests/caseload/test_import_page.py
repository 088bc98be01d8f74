"""The admin's caseload import page end to end (issue 18 item 1): upload, a
dry-run report first, the import on confirmation of exactly the file that
was checked; the report speaks of the file's rows and counts only; other
roles get the answer a made-up URL gets; the upload is capped with a clear
message; nothing from the file is rendered as markup."""
import csv
import os

import openpyxl
import pytest

from minorconsent.caseload import uploads, views
from minorconsent.caseload.store import find_client

from support import ROLE_EMAILS, csrf_of, sign_in

URL = '/caseload-import'


@pytest.fixture(autouse=True)
def own_upload_folder(monkeypatch, tmp_path):
    """Each test keeps its uploads apart (parallel workers share /tmp and
    the demo admin's id)."""
    monkeypatch.setattr(uploads, 'ROOT', str(tmp_path))


def check(browser, content, name='caseload.csv', **options):
    form = browser.get(URL).forms['form']
    form['upload'] = (name, content)
    for key, value in options.items():
        form[key] = value
    return form.submit('check_file', expect_errors=True)


def report_of(res):
    section = res.html.find(id='report')
    return section.get_text(' ', strip=True) if section is not None else ''


def test_upload_check_then_confirm(app, clinic, example_csv):
    admin = sign_in(app, 'admin@demo.test')
    res = check(admin, example_csv.read_bytes(), create_accounts=True)
    assert res.status_int == 200
    text = report_of(res)
    assert 'Check: nothing was written' in text and 'new clients: 6' in text
    with clinic() as c:
        assert find_client(c, 'C-1001') is None           # checked, not imported
    res = res.forms['confirm'].submit()
    text = report_of(res)
    assert 'Imported.' in text and 'new clients: 6' in text
    with clinic() as c:
        assert find_client(c, 'C-1001') is not None
    # The same file again: every row is a client the clinic holds now,
    # which the page counts and never writes (the console updates them).
    res = check(admin, example_csv.read_bytes()).forms['confirm'].submit()
    assert 'rows for clients already in the clinic: 10' in report_of(res)


def test_a_blocked_file_offers_no_confirmation(app, clinic, example_csv):
    admin = sign_in(app, 'admin@demo.test')
    res = check(admin, example_csv.read_bytes())      # therapists unknown, no accounts asked
    assert 'no therapist with this address' in report_of(res)
    assert 'Nothing was written' in report_of(res)
    assert 'confirm' not in res.forms
    # Nothing to confirm, so nothing of the file is kept on the server.
    with clinic() as c:
        admin_id = c['users'].find_by_email('admin@demo.test').__name__
    assert os.listdir(uploads.folder_for(admin_id)) == []


def test_the_confirmation_imports_only_the_very_file_checked(app, clinic, example_csv):
    admin = sign_in(app, 'admin@demo.test')
    res = check(admin, example_csv.read_bytes(), create_accounts=True)
    confirm = res.forms['confirm']
    token = confirm['pending'].value
    with clinic() as c:
        admin_id = c['users'].find_by_email('admin@demo.test').__name__
    kept = os.path.join(uploads.folder_for(admin_id), token)
    with open(kept, 'ab') as f:                        # changed on disk since the check
        f.write(b'C-9,Eve,Mallory,2014-01-01,US-CA,jordan.reyes@demo.test\n')
    res = confirm.submit(expect_errors=True)
    assert res.status_int == 400
    assert 'The checked file is no longer here: upload it again.' in report_of(res)
    with clinic() as c:
        assert find_client(c, 'C-1001') is None and find_client(c, 'C-9') is None
    # A made-up hash, or another admin's, finds nothing either.
    confirm['pending'] = 'x' * 43
    assert confirm.submit(expect_errors=True).status_int == 400


def test_the_report_never_shows_a_stored_record(app, caseload_import, example_csv):
    caseload_import(example_csv)
    admin = sign_in(app, 'admin@demo.test')
    lines = example_csv.read_text().splitlines()
    renamed = lines[0] + '\n' + lines[1].replace('Sofia', 'Zed').replace('2014-03-12',
                                                                         '2014-03-13') + '\n'
    res = check(admin, renamed.encode())
    text = report_of(res)
    assert 'rows for clients already in the clinic: 1' in text
    assert 'updated' not in text
    for stored in ('Sofia', '2014-03-12', 'Tomas', 'Amara', 'Hannah'):
        assert stored not in res.text


def test_cells_are_never_rendered_as_markup(app):
    admin = sign_in(app, 'admin@demo.test')
    header = open(os.path.join(os.path.dirname(__file__), '..', '..', 'docs',
                               'caseload-template.csv')).read()
    res = check(admin, (header + 'K-1,<b>Bold</b>,Name,<script>alert(1)</script>,,'
                        'therapist@demo.test\n').encode())
    assert '<script>alert(1)' not in res.text
    assert '&lt;script&gt;alert(1)' in res.text
    assert 'row 2, date_of_birth' in report_of(res)


@pytest.mark.parametrize('role', ['therapist', 'supervisor', 'guardian', 'adolescent',
                                  'privacy_officer'])
def test_other_roles_get_the_nonexistent_answer(app, role, example_csv):
    browser = sign_in(app, ROLE_EMAILS[role])
    page = browser.get(URL, expect_errors=True)
    made_up = browser.get('/no-such-page', expect_errors=True)
    assert page.status_int == made_up.status_int == 404
    assert page.body == made_up.body
    data = {'__formid__': 'confirm', 'pending': 'x' * 43, 'csrf_token': csrf_of(
        browser.get('/password'))}
    posted = browser.post(URL, data, expect_errors=True)
    posted_made_up = browser.post('/no-such-page', data, expect_errors=True)
    assert posted.status_int == posted_made_up.status_int == 404
    assert posted.body == posted_made_up.body


def test_an_upload_over_the_cap_is_refused_with_a_clear_message(app, monkeypatch,
                                                                example_csv):
    admin = sign_in(app, 'admin@demo.test')
    monkeypatch.setattr(views, 'PAGE_LIMIT', 2048)
    res = check(admin, example_csv.read_bytes() + b'\n' * 2000)
    assert res.status_int == 400
    assert 'The file is larger than 2 KB. Import a larger caseload with the console script ' \
           'minorconsent-import.' in res.text
    # The request gate lets a caseload file through up to the upload limit
    # (11 MB), not the 1 MB of a form: a 3 MB file reaches the page ...
    mid = check(admin, example_csv.read_bytes() + b'\n' * (3 << 20))
    assert mid.status_int == 400 and 'The file is larger than 2 KB.' in mid.text
    # ... and a larger body is answered 413 before the page sees it.
    big = admin.post(URL, upload_files=[('upload', 'big.csv', b'x' * (12 << 20))],
                     expect_errors=True)
    assert big.status_int == 413 and 'too large' in big.text


def test_an_xlsx_upload_is_checked_and_imported(app, clinic, example_csv, tmp_path):
    book = openpyxl.Workbook()
    with open(example_csv, newline='') as f:
        for cells in csv.reader(f):
            book.active.append(cells)
    path = tmp_path / 'caseload.xlsx'
    book.save(path)
    admin = sign_in(app, 'admin@demo.test')
    res = check(admin, path.read_bytes(), name='caseload.xlsx', create_accounts=True)
    assert 'new clients: 6' in report_of(res)
    res.forms['confirm'].submit()
    with clinic() as c:
        assert find_client(c, 'C-1003').first_name == 'Amara'
