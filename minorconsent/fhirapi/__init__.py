"""The clinic's EHR reads consents and published goals through a FHIR R4
API, authorized by SMART Backend Services (issue 19).

``grant``: what one bearer token allows (the contract between the two
halves); the authorization half registers API clients (admin page, console
script), checks their signed client assertions at the token endpoint and
resolves ``request.api_grant``; the resource half serves ``/fhir/`` reads
and searches as searchset Bundles from whitelisted projections.  No
session, CSRF token or staff role works on the API, and no API token works
on the HTML pages.
"""


def includeme(config):
    # ``request.api_grant`` and the room's evolve step.
    config.include('.smart')
    # A signed PDF's DocumentReference says "superseded" from this state.
    for kind in ('consent', 'confidentiality', 'release'):
        config.require_workflow_state(
            kind, 'superseded', "the EHR's API marks the signed PDF of an agreement in "
            'this state as superseded (DocumentReference.status)')
    config.scan('.')
