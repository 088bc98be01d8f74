"""``/fhir/``: the FHIR R4 read and search API (issue 19 item 2).

One view on the clinic takes every ``/fhir/...`` path (traversal stops at
the clinic: ``view_name`` is ``fhir``, the rest is the subpath), because
the API's paths are FHIR's (``Consent/<id>``), not the clinic's tree.  It
is thin: the rules are in ``search``, ``search_params`` and the
projections, which tests call without HTTP.

Who may call: ``request.api_grant`` alone (the authorization half resolves
the bearer token into a ``grant.Grant``, or None).  A session cookie, a
staff role, a CSRF token mean nothing here: the view never asks
``request.identity``.  No grant: 401 with ``WWW-Authenticate: Bearer``
(``error="invalid_token"`` when a token was sent); a
grant whose scopes do not cover the type and interaction: 403.  Every
error is an OperationOutcome; every unknown id the same 404.

Each use is on the audit trail, ids only, through the recorder's buffer:
one ``api.request`` entry for every request that carries a live token,
whatever its answer (an empty search, a 404, a 403, a 400), attributed to
the API client with the resource type, the interaction, the number
returned and the status, because the generic entry of the audit deriver
knows only an anonymous caller; and one ``fhir.read`` / ``fhir.search``
entry on each record returned (the guardian's accounting reads those).
"""
from importlib.metadata import PackageNotFoundError, version

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from minorconsent.audit.recorder import describe, make_entry
from minorconsent.site.model import Clinic
from minorconsent.site.views import clinic_view

from .bundle import outcome, respond, searchset
from .capability import capability_statement
from .resources_consent import binary_resource, pdf_bytes
from .search import SEARCHES, read
from .search_params import QueryError, parse_query
from .smart import smart_configuration

#: The build date the CapabilityStatement gives.
CAPABILITY_DATE = '2026-12-06'
#: Types with a read; searchable ones are ``search.SEARCHES``.
READABLE = tuple(SEARCHES) + ('Binary',)
#: What a search of each type must name (no walk of every client).
REQUIRED = {'Patient': ('identifiers', 'ids'), 'Goal': ('identifiers', 'patient_ids'),
            'DocumentReference': ('identifiers', 'patient_ids'),
            'RelatedPerson': ('identifiers', 'patient_ids')}

NOT_FOUND = outcome('not-found', 'Not found')


def _software_version():
    try:
        return version('minorconsent')
    except PackageNotFoundError:
        return 'unknown'


def grant_of(request):
    """The request's API grant, or None (also while no authorization half
    is configured: then nothing but ``metadata`` answers)."""
    return getattr(request, 'api_grant', None)


def unauthorized(request):
    """401 with RFC 6750's challenge: a request that sent a bearer token
    (unknown, expired, revoked) is told ``error="invalid_token"``, so the
    client knows to get a new token; one that sent none gets no error code
    (RFC 6750 3.1)."""
    scheme, _, token = (request.headers.get('Authorization') or '').partition(' ')
    challenge = 'Bearer realm="fhir"'
    if scheme.lower() == 'bearer' and token.strip():
        challenge += ', error="invalid_token"'
    return respond(outcome('login', 'A bearer access token is required'), status=401,
                   headers={'WWW-Authenticate': challenge})


def forbidden():
    return respond(outcome('forbidden', 'The token\'s scopes do not allow this'), status=403)


def _scope_type(resource_type):
    """The scope a type is read under: a Binary is its DocumentReference's
    PDF."""
    return 'DocumentReference' if resource_type == 'Binary' else resource_type


def _detail(grant, resource_type, interaction, count):
    return 'api client %s: %s %s, %d returned' % (
        grant.api_client_id, resource_type, interaction, count)


def _buffer(request, entries):
    """A read writes nothing else, so its entries go to the recorder's
    buffer (sealed within a second, as every page view's are:
    ``audit/access.py``) rather than making the read a write of its own."""
    if entries:
        recorder = request.registry.audit_recorder
        request.add_finished_callback(lambda request: [recorder.add(e) for e in entries])


def note_use(request, grant, resource_type, interaction, records):
    """One audit entry per record returned, ids only: the client whose file
    it is, the record's path below it, the API client, the type and the
    number returned."""
    detail = _detail(grant, resource_type, interaction, len(records))
    entries = []
    for record in records:
        client_id, target = describe(record)
        entries.append(make_entry('fhir.%s' % interaction, actor='api:%s' % grant.api_client_id,
                                  role='api-client', record=client_id, target=target,
                                  detail=detail, ip=request.client_addr or '', outcome='200'))
    _buffer(request, entries)
    return len(records)


def note_request(request, grant, resource_type, interaction, count, status):
    """The request's own entry: every use of a token, even one that
    returned nothing or was refused.  The type and interaction are the
    API's own words (never the raw path)."""
    _buffer(request, [make_entry(
        'api.request', actor='api:%s' % grant.api_client_id, role='api-client',
        target='', detail=_detail(grant, resource_type, interaction, count),
        ip=request.client_addr or '', outcome=str(status))])


@clinic_view(context=Clinic, name='fhir', permission=NO_PERMISSION_REQUIRED,
             require_csrf=False)
def fhir_api(context, request):
    """No CSRF check: the API takes no cookie and writes nothing; a POST
    (a FHIR ``_search`` by form, a write) gets the API's own 405
    OperationOutcome instead of the HTML "form expired" page."""
    if request.method not in ('GET', 'HEAD'):
        response = respond(outcome('not-supported', 'Only GET: this API reads'), status=405,
                           headers={'Allow': 'GET, HEAD'})
        grant = grant_of(request)
        if grant is not None:
            note_request(request, grant, 'unknown', 'unknown', 0, response.status_int)
        return response
    path = request.subpath
    if path == ('metadata',):
        return respond(capability_statement(request.registry, _software_version(),
                                            CAPABILITY_DATE))
    if path == ('.well-known', 'smart-configuration'):
        # SMART discovery is looked for below the FHIR base URL.
        response = respond(smart_configuration(request))
        response.headers['Content-Type'] = 'application/json; charset=utf-8'
        return response
    grant = grant_of(request)
    if grant is None:
        return unauthorized(request)
    if len(path) not in (1, 2) or path[0] not in READABLE \
            or (len(path) == 1 and path[0] not in SEARCHES):
        response = respond(outcome('not-supported',
                                   'No such resource type or interaction here'), status=404)
        note_request(request, grant, 'unknown', 'unknown', 0, response.status_int)
        return response
    resource_type = path[0]
    interaction = 'read' if len(path) == 2 else 'search'
    count = 0
    if not grant.allows(_scope_type(resource_type), interaction[0]):
        response = forbidden()
    elif interaction == 'read':
        response, count = _read(request, grant, resource_type, path[1])
    else:
        response, count = _search(request, grant, resource_type)
    note_request(request, grant, resource_type, interaction, count, response.status_int)
    return response


def _read(request, grant, resource_type, fhir_id):
    """The answer and the number of resources it returned."""
    found = read(request.clinic, request.registry, resource_type, fhir_id)
    if found is None:
        return respond(NOT_FOUND, status=404), 0
    resource, record = found
    count = note_use(request, grant, resource_type, 'read', [record])
    if resource_type != 'Binary':
        return respond(resource), count
    if 'application/fhir+json' in (request.headers.get('Accept') or ''):
        return respond(binary_resource(resource)), count
    response = Response(pdf_bytes(resource), content_type='application/pdf')
    response.cache_control = 'no-store'
    return response, count


def _strict(request):
    prefer = (request.headers.get('Prefer') or '').replace(' ', '').lower()
    return 'handling=strict' in prefer.split(',') or 'handling=strict' in prefer.split(';')


def _search(request, grant, resource_type):
    try:
        query = parse_query(resource_type, request.environ.get('QUERY_STRING', ''),
                            strict=_strict(request))
    except QueryError as exc:
        return respond(outcome('invalid', str(exc)), status=400), 0
    required = REQUIRED.get(resource_type)
    if required and not any(getattr(query, name) for name in required):
        return respond(outcome('too-costly', '%s is searched by %s only' % (
            resource_type, 'identifier or _id' if resource_type == 'Patient'
            else 'patient')), status=400), 0
    page = SEARCHES[resource_type](request.clinic, request.registry, query)
    count = note_use(request, grant, resource_type, 'search',
                     [record for _, record in page.results])
    return respond(searchset(request.registry, query, page)), count
