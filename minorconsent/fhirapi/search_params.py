"""A search's query string, read once into a ``Query`` or refused.

Everything an API caller sends is bounded before anything is looked up:
the whole query string, the number of parameters, each value's length and
shape, the number of comma-separated alternatives.  A value no record
could hold (an identifier the import would refuse, a date that is not a
date, a status FHIR does not define) is refused with ``QueryError`` (a
400 OperationOutcome): nothing is searched, nothing written, and the
answer depends on the text alone, never on what the clinic holds.

Parameters the server does not support are not errors (the FHIR rule):
they are ignored and named in the Bundle's OperationOutcome, unless the
caller sent ``Prefer: handling=strict``, which refuses them.
"""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qsl

from minorconsent.caseload.columns import CLIENT_ID

from .identifiers import client_of_reference, parse_token

MAX_QUERY = 4096          # bytes of query string
MAX_PARAMS = 40           # parameters, repeated ones counted each time
MAX_VALUE = 256           # characters of one value
MAX_ALTERNATIVES = 10     # comma-separated values of one parameter
DEFAULT_COUNT = 50
MAX_COUNT = 200

PATIENT_PARAMS = ('patient', 'patient.identifier', 'patient:identifier')
#: The search parameters each resource type supports.
SUPPORTED = {
    'Patient': ('_id', 'identifier'),
    'Consent': PATIENT_PARAMS + ('_id', 'status', 'category', '_lastUpdated'),
    'Goal': PATIENT_PARAMS,
    'DocumentReference': PATIENT_PARAMS,
    'RelatedPerson': PATIENT_PARAMS,
}
#: Result parameters every search takes.
RESULT_PARAMS = ('_count', '_cursor', '_format')
#: ``_format`` values meaning the one format served.
JSON_FORMATS = ('json', 'application/json', 'application/fhir+json')
#: FHIR Consent.status (consent-state-codes, required binding).
CONSENT_STATUSES = ('draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error')
_CURSOR = re.compile(r'[A-Za-z0-9.]{1,90}\Z')
_CODE = re.compile(r'[A-Za-z0-9._:/\-]{1,200}\Z')
_DATE = re.compile(r'\d{4}(-\d{2}(-\d{2})?)?\Z')
_PREFIXES = ('eq', 'gt', 'ge', 'lt', 'le')


class QueryError(ValueError):
    """The query cannot be searched: the message says why (it never
    repeats the value)."""


@dataclass
class Query:
    resource_type: str
    count: int = DEFAULT_COUNT
    cursor: str = None
    patient_ids: list = field(default_factory=list)       # from patient=
    identifiers: list = field(default_factory=list)       # (system or None, value)
    ids: tuple = None                                     # _id alternatives
    statuses: tuple = None
    categories: tuple = None                              # (system or None, code)
    updated: list = field(default_factory=list)           # (prefix, low, high)
    unknown: list = field(default_factory=list)           # names ignored
    accepted: list = field(default_factory=list)          # (name, value) for links

    @property
    def has_patient(self):
        return bool(self.patient_ids or self.identifiers)


def _alternatives(name, value):
    parts = value.split(',')
    if len(parts) > MAX_ALTERNATIVES:
        raise QueryError('%s: at most %d values' % (name, MAX_ALTERNATIVES))
    return [p for p in parts if p] or _empty(name)


def _empty(name):
    raise QueryError('%s: no value' % name)


def _identifier(name, value):
    system, code = parse_token(value)
    if system and not _CODE.match(system):
        raise QueryError('%s: the system is not a URI' % name)
    if not CLIENT_ID.match(code):
        raise QueryError('%s: not a client id (letters, digits and . _ - / # : only, '
                         'at most 64)' % name)
    return system, code


def _instant_range(value):
    """``(low, high)`` aware datetimes of a FHIR date or dateTime value."""
    if _DATE.match(value):
        parts = [int(p) for p in value.split('-')]
        try:
            low = date(parts[0], *(parts[1:] + [1] * (3 - len(parts))))
        except ValueError:
            raise QueryError('_lastUpdated: not a date') from None
        if len(parts) == 1:
            high = date(low.year + 1, 1, 1) if low.year < 9999 else date.max
        elif len(parts) == 2:
            high = (low.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            high = low + timedelta(days=1) if low < date.max else low
        return (datetime.combine(low, datetime.min.time(), timezone.utc),
                datetime.combine(high, datetime.min.time(), timezone.utc))
    try:
        moment = datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        raise QueryError('_lastUpdated: not a date or date-time') from None
    if moment.tzinfo is None:
        raise QueryError('_lastUpdated: a date-time needs a time zone')
    return moment, moment + timedelta(seconds=1)


def _updated(value):
    prefix = value[:2] if value[:2].isalpha() else 'eq'
    if value[:2].isalpha() and prefix not in _PREFIXES:
        raise QueryError('_lastUpdated: prefixes eq, gt, ge, lt, le only')
    low, high = _instant_range(value[2:] if value[:2].isalpha() else value)
    return prefix, low, high


def _count(value):
    if not value.isdigit() or len(value) > 6:
        raise QueryError('_count: a whole number from 0')
    return min(int(value), MAX_COUNT)


def _apply(query, name, value):
    """Read one supported parameter into ``query``."""
    if name == '_count':
        query.count = _count(value)
    elif name == '_cursor':
        if not _CURSOR.match(value):
            raise QueryError('_cursor: not a cursor this server gave')
        query.cursor = value
    elif name == '_format':
        if value not in JSON_FORMATS:
            raise QueryError('_format: this server answers JSON only')
    elif name == 'patient':
        found = client_of_reference(value)
        if found is None:
            raise QueryError('patient: a reference Patient/<id>')
        query.patient_ids.append(found)
    elif name in ('patient.identifier', 'patient:identifier', 'identifier'):
        query.identifiers.append(_identifier(name, value))
    elif name == '_id':
        query.ids = tuple(_alternatives(name, value))
        if not all(_CURSOR.match(v) for v in query.ids):
            raise QueryError('_id: not an id')
    elif name == 'status':
        query.statuses = tuple(_alternatives(name, value))
        if not set(query.statuses) <= set(CONSENT_STATUSES):
            raise QueryError('status: one of %s' % ', '.join(CONSENT_STATUSES))
    elif name == 'category':
        categories = [parse_token(v) for v in _alternatives(name, value)]
        if not all(_CODE.match(c) and (not s or _CODE.match(s)) for s, c in categories):
            raise QueryError('category: a token system|code')
        query.categories = tuple(categories)
    elif name == '_lastUpdated':
        if len(query.updated) >= 2:
            raise QueryError('_lastUpdated: at most twice (a range)')
        query.updated.append(_updated(value))


def parse_query(resource_type, query_string, strict=False):
    """The ``Query`` of a search of ``resource_type``, or ``QueryError``."""
    if len(query_string) > MAX_QUERY:
        raise QueryError('The query is longer than %d bytes' % MAX_QUERY)
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, strict_parsing=False,
                          encoding='utf-8', errors='strict', max_num_fields=MAX_PARAMS)
    except (ValueError, UnicodeDecodeError):
        raise QueryError('At most %d parameters, in UTF-8' % MAX_PARAMS) from None
    query = Query(resource_type)
    supported = SUPPORTED[resource_type] + RESULT_PARAMS
    seen = set()
    for name, value in pairs:
        if len(value) > MAX_VALUE or len(name) > MAX_VALUE:
            raise QueryError('A parameter or value is longer than %d characters' % MAX_VALUE)
        if any(ord(ch) < 32 for ch in name + value):
            raise QueryError('Control characters are not allowed')
        if name not in supported:
            if strict:
                raise QueryError('Unknown search parameter (Prefer: handling=strict)')
            query.unknown.append(name)
            continue
        if name in seen and name != '_lastUpdated':
            raise QueryError('%s: given more than once' % name)
        seen.add(name)
        _apply(query, name, value)
        if name not in ('_cursor', '_format'):
            query.accepted.append((name, value))
    return query
