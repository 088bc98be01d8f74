"""What one API access token allows: the contract between the token
endpoint (which makes grants) and the FHIR views (which only read them).

A view never looks at the ``Authorization`` header itself: it asks
``request.api_grant`` (a reified request method the authorization half
registers), which is a ``Grant`` for a live, unexpired, undisabled token
and None otherwise.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    api_client_id: str          # the registered API client the token was issued to
    scopes: frozenset           # granted SMART v2 scopes, e.g. 'system/Consent.rs'
    expires_at: object          # aware datetime

    def allows(self, resource_type, interaction):
        """``interaction``: exactly 'r' (read by id) or 's' (search); any
        other value (``''``, ``'rs'``) allows nothing, since ``'' in ops``
        would be true of every scope.  SMART v2 scopes list the allowed
        interactions after the dot (``system/Consent.rs``).  No wildcard:
        the clinic never grants ``system/*.rs`` (``clients.SCOPES``), so
        each type is allowed by its own scope alone."""
        if interaction not in ('r', 's'):
            return False
        for scope in self.scopes:
            context, _, rest = scope.partition('/')
            rtype, _, ops = rest.partition('.')
            if context == 'system' and rtype == resource_type and interaction in ops:
                return True
        return False
