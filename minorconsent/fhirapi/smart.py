"""SMART Backend Services over HTTP: discovery, the token endpoint and
``request.api_grant``.

* ``GET /.well-known/smart-configuration``: what a client needs to know,
  its ``token_endpoint`` built from ``minorconsent.public_url`` (never from
  the request's ``Host``: a forged host would send the client's signed
  assertion, and the ``aud`` it is checked against, elsewhere).
* ``POST /auth/token``: ``auth.exchange``; the OAuth 2.0 JSON answer.  It
  is the one clinic view without a CSRF check: it takes no cookie, acts
  for no signed-in person, and is authenticated by the signed assertion
  itself.  A refusal writes nothing but its audit entry (through the
  recorder's buffer: the 4xx commits nothing).
* ``request.api_grant``: the ``Grant`` of the ``Authorization: Bearer``
  token, or None.  The session security policy never reads that header,
  so a token signs no one in on the HTML pages; the FHIR views read only
  this, so a session cookie reaches nothing on the API.

The room's ``includeme`` includes this module's (``request.api_grant``
and the room's evolve step).
"""
from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from minorconsent.audit.recorder import make_entry, note
from minorconsent.site import Clinic
from minorconsent.site.canonical import public_url
from minorconsent.site.clock import utcnow
from minorconsent.site.views import clinic_view

from .auth import Refused, exchange
from .clients import SCOPES, api_clients
from .keys import ALGORITHMS

#: The token endpoint's path below the clinic's root.
TOKEN_PATH = ('auth', 'token')
FORM_TYPE = 'application/x-www-form-urlencoded'


def token_url(request_or_registry):
    """The token endpoint's URL: the ``aud`` every assertion must name."""
    return public_url(request_or_registry, *TOKEN_PATH)


def smart_configuration(request):
    """The discovery document (SMART App Launch 2.x, section 2.4).  F2's
    ``/fhir/.well-known/smart-configuration`` may answer with it too."""
    return {
        'token_endpoint': token_url(request),
        'grant_types_supported': ['client_credentials'],
        'token_endpoint_auth_methods_supported': ['private_key_jwt'],
        'token_endpoint_auth_signing_alg_values_supported': list(ALGORITHMS),
        'scopes_supported': list(SCOPES),
        'capabilities': ['client-confidential-asymmetric', 'permission-v2'],
    }


def api_grant(request):
    """``request.api_grant`` (reified): from the ``Authorization`` header
    only, never a cookie or a form field."""
    header = request.headers.get('Authorization', '')
    scheme, _, token = header.partition(' ')
    token = token.strip()
    if scheme.lower() != 'bearer' or not token or ' ' in token:
        return None
    store = api_clients(request.clinic)
    return store.grant_for(token, utcnow()) if store is not None else None


def _json(body, status=200):
    response = Response(json_body=body, status=status, content_type='application/json',
                        charset='utf-8')
    # RFC 6749 5.1: token answers are never cached (the tween adds
    # Cache-Control: no-store to every dynamic answer; Pragma for old caches).
    response.headers['Pragma'] = 'no-cache'
    return response


@clinic_view(context=Clinic, name='.well-known', request_method=('GET', 'HEAD'),
             permission=NO_PERMISSION_REQUIRED)
def well_known(request):
    if request.subpath != ('smart-configuration',):
        raise HTTPNotFound()
    return _json(smart_configuration(request))


@clinic_view(context=Clinic, name=TOKEN_PATH[0], request_method='POST',
             permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def token_endpoint(request):
    """The one view without a CSRF check (see the module's docstring)."""
    if request.subpath != TOKEN_PATH[1:]:
        raise HTTPNotFound()
    now = utcnow()
    store = api_clients(request.clinic)
    try:
        if request.content_type != FORM_TYPE:
            raise Refused('invalid_request', 'content-type',
                          description='Send the request as ' + FORM_TYPE + '.')
        issued = exchange(store, request.POST, token_url(request), now)
    except Refused as refusal:
        _note_refusal(request, refusal)
        return _json(refusal.body(), refusal.status)
    note(request.clinic, 'api.token_issued', actor='api:' + issued.client_id,
         role='api-client', target='api-clients/' + issued.client_id,
         detail='scopes=' + ' '.join(issued.scopes))
    return _json(issued.body())


def _note_refusal(request, refusal):
    """On the trail though the 4xx commits nothing: the recorder's buffer
    seals it within a second (ids and a reason code only).  The client is
    the actor only once its signature was verified; before that (a wrong
    signature, a disabled or unapproved client) the caller is anonymous
    and the client it named is only the target."""
    verified = refusal.verified and refusal.client_id
    entry = make_entry(
        'api.token_refused', actor='api:' + refusal.client_id if verified else 'anonymous',
        role='api-client' if verified else '',
        target='api-clients/' + refusal.client_id if refusal.client_id else '',
        detail='error=%s reason=%s' % (refusal.error, refusal.reason),
        ip=request.client_addr or '', outcome=str(refusal.status))
    request.registry.audit_recorder.add(entry)


def includeme(config):
    config.add_request_method(api_grant, 'api_grant', reify=True)
    config.include('minorconsent.fhirapi.evolve')
