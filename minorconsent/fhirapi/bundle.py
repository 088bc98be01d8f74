"""The API's envelopes: searchset Bundles and OperationOutcomes, and the
JSON response every ``/fhir/`` answer is.

Links (``self``, ``next``, ``fullUrl``) come from the configured public
address (``identifiers.api_url``), never the request's ``Host``.  A
``self`` link repeats only the parameters the search used, in a normal
form; the ones it ignored are named (not their values) in an
OperationOutcome entry (``search.mode = outcome``), each name cut to the
characters a parameter name may hold, so nothing a caller sends is
echoed back as it came.
"""
import json
import re
from datetime import timezone
from urllib.parse import urlencode

from pyramid.response import Response

from minorconsent.site.clock import utcnow

from .identifiers import api_url

CONTENT_TYPE = 'application/fhir+json'
_NAME_CHARS = re.compile(r'[^A-Za-z0-9_.:\-]')


def respond(resource, status=200, headers=None):
    """A FHIR JSON response (UTF-8; never cached by a proxy)."""
    body = json.dumps(resource, ensure_ascii=False, separators=(',', ':')).encode('utf-8')
    response = Response(body, status=status)
    # WebOb adds a charset to text types only: said here, as FHIR asks.
    response.headers['Content-Type'] = CONTENT_TYPE + '; charset=utf-8'
    response.cache_control = 'no-store'
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def outcome(code, diagnostics, severity='error'):
    """An OperationOutcome of one issue (``code`` from the FHIR issue-type
    value set)."""
    return {'resourceType': 'OperationOutcome',
            'issue': [{'severity': severity, 'code': code, 'diagnostics': diagnostics}]}


def shown_name(name):
    return _NAME_CHARS.sub('', name)[:64] or '(unnamed)'


def search_url(registry, resource_type, accepted, count, cursor=None):
    params = list(accepted)
    params = [(n, v) for n, v in params if n != '_count'] + [('_count', str(count))]
    if cursor is not None:
        params.append(('_cursor', cursor))
    return '%s?%s' % (api_url(registry, resource_type), urlencode(params))


def searchset(registry, query, page):
    """The searchset Bundle of a ``search.Page``."""
    bundle = {
        'resourceType': 'Bundle',
        'type': 'searchset',
        'timestamp': utcnow().astimezone(timezone.utc).isoformat(
            timespec='seconds').replace('+00:00', 'Z'),
    }
    if page.total is not None:
        bundle['total'] = page.total
    links = [{'relation': 'self', 'url': search_url(
        registry, query.resource_type, query.accepted, query.count, query.cursor)}]
    if page.next_cursor is not None:
        links.append({'relation': 'next', 'url': search_url(
            registry, query.resource_type, query.accepted, query.count, page.next_cursor)})
    bundle['link'] = links
    entries = [{'fullUrl': api_url(registry, resource['resourceType'], resource['id']),
                'resource': resource, 'search': {'mode': 'match'}}
               for resource, _ in page.results]
    if query.unknown:
        names = sorted({shown_name(n) for n in query.unknown})
        entries.append({'resource': outcome(
            'not-supported', 'Search parameters not supported, ignored: %s' % ', '.join(names),
            severity='warning'), 'search': {'mode': 'outcome'}})
    if entries:
        bundle['entry'] = entries
    return bundle
