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


#: The refusals made before the API's views run (``security.gate``, the
#: body limit, an address that is not UTF-8), by the reason the clinic
#: gives (``site.views.refusal_renderer``): (issue code, diagnostics).
#: Nothing of the request is echoed.
REFUSALS = {
    'method': ('not-supported', 'Only GET: this API reads'),
    'host': ('invalid', "This host is not the API's address"),
    'form': ('structure', 'The request body could not be read'),
    'address': ('invalid', 'The address or its query is not valid UTF-8'),
    'too-large': ('too-long', 'The request is too large'),
}


def refusal(request, status, reason, headers=()):
    """The API's answer to a request the clinic refused before any view
    (registered for ``/fhir/`` with ``config.add_refusal_renderer``): an
    OperationOutcome with the refusal's status, never the clinic's HTML.
    A 405 names the methods the API takes, as its own view's 405 does."""
    code, diagnostics = REFUSALS.get(reason, ('invalid', 'The request is not valid'))
    extra = dict(headers)
    if status == 405:
        extra['Allow'] = 'GET, HEAD'
    return respond(outcome(code, diagnostics), status=status, headers=extra)


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
