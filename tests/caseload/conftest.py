"""Fixtures shared by the caseload import and export tests.

``caseload_import(path, **options)`` imports a file into the test's clinic
(one transaction, as the upload page does; no request, so no mail) and
returns the ``Report``; ``example_csv`` is docs/caseload-example.csv.
"""
import pathlib

import pytest

from minorconsent.caseload.importer import Options, run_import

DOCS = pathlib.Path(__file__).resolve().parents[2] / 'docs'
EXAMPLE = DOCS / 'caseload-example.csv'


@pytest.fixture
def example_csv():
    return EXAMPLE


@pytest.fixture
def caseload_import(clinic):
    def run(path, actor_id='system', **options):
        options.setdefault('create_accounts', True)
        with clinic() as c:
            return run_import(c, str(path), Options(**options), actor_id=actor_id)
    return run
