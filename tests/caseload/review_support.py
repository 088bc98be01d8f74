"""What the two review test modules of the caseload import share: the
admin page's address, the example file's header and lines, a check on the
page, the report it shows, and each test's own upload folder."""
import pytest

from minorconsent.caseload import uploads

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
