"""Import -> export -> import changes nothing (issue 18, "Done when").

A fresh clinic (``minorconsent-init`` on a new FileStorage) imports
docs/caseload-example.csv; ``minorconsent-export`` writes its caseload.csv;
importing that file reports every client and guardian link unchanged; a
second export writes the same caseload.csv, byte for byte.
"""
import csv
import os
import pathlib
import sys

import pytest

from minorconsent.caseload.columns import NAMES
from minorconsent.caseload.importer import Options, run_import
from minorconsent.scripts import caseload_export, init
from minorconsent.scripts.common import clinic_transaction

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'scripts'))
from scripthelpers import make_site, run  # noqa: E402

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'caseload-example.csv'


def import_file(site, path, **options):
    options.setdefault('create_accounts', True)
    with clinic_transaction(site.ini) as (clinic, request):
        return run_import(clinic, str(path), Options(**options), actor_id='system')


def export(site, out):
    code, _, stderr = run(caseload_export, site.ini, out, '--quiet')
    assert code == 0, stderr
    return out / 'caseload.csv'


def rows_of(path):
    with open(path, encoding='utf-8', newline='') as f:
        return list(csv.DictReader(f))


@pytest.fixture
def fresh(tmp_path):
    site = make_site(tmp_path / 'fresh')
    assert run(init, site.ini, '--email', 'boss@demo.test',
               '--password', 'round-trip-pass-77')[0] == 0
    return site


def round_trip(site, source, tmp_path):
    first = import_file(site, source)
    assert not first.problems and not first.file_error, first.lines()
    assert first.written and first.changed
    exported = export(site, tmp_path / 'first')
    again = import_file(site, exported)
    assert not again.problems and not again.file_error, again.lines()
    assert not again.changed, again.lines()
    assert again.verdict().startswith('Nothing changed')
    second = export(site, tmp_path / 'second')
    assert second.read_bytes() == exported.read_bytes()
    return first, again, exported


def test_example_file_round_trips_unchanged(fresh, tmp_path):
    first, again, exported = round_trip(fresh, EXAMPLE, tmp_path)
    source = rows_of(EXAMPLE)
    assert again.rows == len(source) == len(rows_of(exported))
    assert again.counts['clients unchanged'] == len({r['client_id'] for r in source})
    links = [r for r in source if r['guardian_email']]
    assert again.counts['guardian links unchanged'] == len(links)
    # What went out is what came in: the same (client, guardian) rows with
    # the same values, in the export's canonical words.
    key = (lambda r: (r['client_id'], r['guardian_email']))
    out = {key(r): r for r in rows_of(exported)}
    assert set(out) == {key(r) for r in source}
    for row in source:
        for name in ('client_given_name', 'client_family_name', 'date_of_birth',
                     'relationship', 'legal_authority', 'restricted', 'contact_text'):
            assert out[key(row)][name] == row[name], (key(row), name)


def test_a_name_a_spreadsheet_would_run_round_trips(fresh, tmp_path):
    source = tmp_path / 'formula.csv'
    with open(source, 'w', encoding='utf-8', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(NAMES)
        writer.writerow(['C-9', '-Ana', '@Lee', '2015-05-05', '', 'jordan.reyes@demo.test', '',
                         '=Kim', '+Ode', 'kim.ode@demo.test', 'mother', 'yes', 'no', 'en',
                         'yes', 'no', 'yes', 'no'])
    round_trip(fresh, source, tmp_path)
