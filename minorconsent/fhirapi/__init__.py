"""The clinic's EHR reads consents and published goals through a FHIR R4
API, authorized by SMART Backend Services (issue 19).

``grant``: what one bearer token allows (the contract between the two
halves); the authorization half registers API clients (admin page, console
script), checks their signed client assertions at the token endpoint and
resolves ``request.api_grant``; the resource half serves ``/fhir/`` reads
and searches as searchset Bundles from whitelisted projections.  No
session, CSRF token or staff role works on the API, and no API token works
on the HTML pages.

A request refused before any view runs (a method other than GET, HEAD and
POST, an address that is not UTF-8, a body over the limit) is answered in
the API's format too: an OperationOutcome under ``/fhir/``, the OAuth
error at the token endpoint (``config.add_refusal_renderer``).
"""
from .bundle import refusal
from .smart import TOKEN_PATH, _json

#: The token endpoint's refusals (RFC 6749 5.2: ``invalid_request``).
TOKEN_REFUSALS = {
    'method': 'Send the request as a POST.',
    'host': "This host is not the token endpoint's address.",
    'form': 'The request body could not be read.',
    'address': 'The address or its query is not valid UTF-8.',
    'too-large': 'The request is too large.',
}


def token_refusal(request, status, reason, headers=()):
    """The OAuth 2.0 error JSON for a request to the token endpoint the
    clinic refused before its view ran; nothing of the request echoed."""
    body = {'error': 'invalid_request'}
    if reason in TOKEN_REFUSALS:
        body['error_description'] = TOKEN_REFUSALS[reason]
    response = _json(body, status)
    if status == 405:
        response.headers['Allow'] = 'POST'
    return response


def includeme(config):
    config.add_refusal_renderer('fhir', refusal)
    config.add_refusal_renderer(TOKEN_PATH, token_refusal)
    # ``request.api_grant`` and the room's evolve step.
    config.include('.smart')
    # A signed PDF's DocumentReference says "superseded" from this state.
    for kind in ('consent', 'confidentiality', 'release'):
        config.require_workflow_state(
            kind, 'superseded', "the EHR's API marks the signed PDF of an agreement in "
            'this state as superseded (DocumentReference.status)')
    config.scan('.')
