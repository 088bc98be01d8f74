"""The FHIR API's rules as plain functions (no HTTP): query parsing, ids,
and the clinic-wide Consent search's bounded pages and cursors."""
from datetime import datetime, timezone

import pytest
from pyramid.threadlocal import manager

from minorconsent.fhirapi import search
from minorconsent.fhirapi.identifiers import client_of_reference, split_compound
from minorconsent.fhirapi.search_params import QueryError, parse_query


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def test_ids_and_references():
    assert split_compound('abc123.def456') == ('abc123', 'def456')
    for bad in ('abc', 'abc.', '.abc', 'a.b.c', 'a b.c', '../x.y', ''):
        assert split_compound(bad) is None
    assert client_of_reference('Patient/abc123') == 'abc123'
    assert client_of_reference('abc123') == 'abc123'
    assert client_of_reference('http://x.example/fhir/Patient/abc123') == 'abc123'
    assert client_of_reference('Observation/abc123') is None
    assert client_of_reference('Patient/a;b') is None


def test_parse_query_reads_what_it_supports():
    query = parse_query('Consent', 'patient.identifier=urn:x|MRN-1&status=active,proposed'
                        '&category=http://loinc.org|59284-0&_count=500&foo=1&_cursor=abc')
    assert query.identifiers == [('urn:x', 'MRN-1')]
    assert query.statuses == ('active', 'proposed')
    assert query.categories == (('http://loinc.org', '59284-0'),)
    assert query.count == 200 and query.cursor == 'abc'
    assert query.unknown == ['foo']
    assert ('_cursor', 'abc') not in query.accepted
    with pytest.raises(QueryError):
        parse_query('Consent', 'foo=1', strict=True)
    assert parse_query('Consent', '_format=json').unknown == []
    with pytest.raises(QueryError):
        parse_query('Consent', '_format=xml')
    # A parameter of another type is unknown here.
    assert parse_query('Goal', 'status=active').unknown == ['status']


@pytest.mark.parametrize('value,inside,outside', [
    ('eq2026-03', [utc(2026, 3, 1), utc(2026, 3, 31, 23, 59)], [utc(2026, 4, 1), utc(2026, 2, 28)]),
    ('gt2026-03-05', [utc(2026, 3, 6)], [utc(2026, 3, 5, 23, 59, 59)]),
    ('ge2026-03-05', [utc(2026, 3, 5)], [utc(2026, 3, 4, 23)]),
    ('lt2026', [utc(2025, 12, 31, 23)], [utc(2026, 1, 1)]),
    ('le2026-12', [utc(2026, 12, 31, 12)], [utc(2027, 1, 1)]),
    ('gt2026-03-05T10:00:00Z', [utc(2026, 3, 5, 10, 0, 1)], [utc(2026, 3, 5, 10, 0, 0)]),
    ('2026-03-05T10:00:00+01:00', [utc(2026, 3, 5, 9)], [utc(2026, 3, 5, 10)]),
])
def test_last_updated_ranges(value, inside, outside):
    (prefix, low, high), = parse_query('Consent', '_lastUpdated=' + value.replace('+', '%2B')).updated
    for moment in inside:
        assert search._within(prefix, moment, low, high)
    for moment in outside:
        assert not search._within(prefix, moment, low, high)


@pytest.fixture
def consents(app, clinic):
    """``run(query_string)``: the clinic-wide search's pages, followed to
    the end: ``[(ids, total, cursor)]``."""
    def run(query_string):
        with clinic() as c:
            manager.push({'registry': app.registry, 'request': None})
            try:
                pages, cursor = [], None
                while True:
                    qs = query_string + ('&_cursor=' + cursor if cursor else '')
                    page = search.search_consents(c, app.registry, parse_query('Consent', qs))
                    pages.append(([r['id'] for r, _ in page.results], page.total,
                                  page.next_cursor))
                    cursor = page.next_cursor
                    if cursor is None:
                        return pages
            finally:
                manager.pop()
    return run


def test_pages_are_bounded_and_lose_nothing(consents, monkeypatch):
    whole, = consents('_count=200')
    everything = whole[0]
    assert whole[1] == len(everything) > 3
    # A clinic-wide page loads at most MAX_EXAMINED agreements: with a
    # filter matching little, pages come short, with a cursor, and the
    # pages together hold exactly the matches.
    monkeypatch.setattr(search, 'MAX_EXAMINED', 2)
    pages = consents('_count=50&category=http://loinc.org|59284-0')
    assert len(pages) > 1 and all(len(ids) <= 2 for ids, _, _ in pages)
    found = [i for ids, _, _ in pages for i in ids]
    assert len(found) == len(set(found))
    monkeypatch.setattr(search, 'MAX_EXAMINED', 2000)
    (alone, total, cursor), = consents('_count=200&category=http://loinc.org|59284-0')
    assert found == alone and total == len(alone) and cursor is None
    # Filtered over several pages: the total is not known without a walk.
    assert consents('_count=1&category=http://loinc.org|59284-0')[0][1] is None
    # By status alone: the index's counts give it on every page.
    pages = consents('_count=1&status=active')
    assert {total for _, total, _ in pages} == {len(pages)}


def test_count_zero_gives_the_total_alone(consents):
    (ids, total, cursor), = consents('_count=0&status=active')
    assert ids == [] and total > 0 and cursor is None
