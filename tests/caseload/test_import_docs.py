"""docs/CASELOAD.md, the template and the example follow the one list of
columns (minorconsent/caseload/columns.py): a column added there and not
documented, or a template that drifted, fails here (issue 18 item 1)."""
import csv
import pathlib

from minorconsent.caseload.columns import COLUMNS, NAMES, parse_row

DOCS = pathlib.Path(__file__).resolve().parents[2] / 'docs'


def test_every_column_is_documented():
    text = (DOCS / 'CASELOAD.md').read_text()
    for column in COLUMNS:
        assert '| `%s` |' % column.name in text, column.name


def test_the_template_is_the_header_and_the_example_reads_clean():
    with open(DOCS / 'caseload-template.csv', newline='') as f:
        assert list(csv.reader(f)) == [list(NAMES)]
    with open(DOCS / 'caseload-example.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 10
    for row in rows:
        assert parse_row(row)[1] == []

