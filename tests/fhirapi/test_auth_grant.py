"""What a grant allows (issue 19 review, finding 7): exactly one
interaction letter, 'r' or 's', of a type its scope names; an empty or
longer interaction allows nothing; no ``system/*`` wildcard."""
from datetime import datetime, timezone

import pytest

from minorconsent.fhirapi.grant import Grant

EXPIRES = datetime(2026, 12, 6, 22, 0, tzinfo=timezone.utc)


def grant(*scopes):
    return Grant(api_client_id='c1', scopes=frozenset(scopes), expires_at=EXPIRES)


def test_its_own_scope_allows_read_and_search_of_its_type_only():
    consent = grant('system/Consent.rs')
    assert consent.allows('Consent', 'r') and consent.allows('Consent', 's')
    assert not consent.allows('Goal', 'r') and not consent.allows('Patient', 's')
    assert grant('system/Consent.r').allows('Consent', 'r')
    assert not grant('system/Consent.r').allows('Consent', 's')


@pytest.mark.parametrize('interaction', ['', 'rs', 'sr', 'c', 'u', 'd', '.', '*', 'R',
                                         'read', None, 0])
def test_any_other_interaction_allows_nothing(interaction):
    assert not grant('system/Consent.rs', 'system/Goal.cruds').allows('Consent', interaction)
    assert not grant('system/Goal.cruds').allows('Goal', interaction)


def test_no_wildcard_type_and_no_other_context():
    assert not grant('system/*.rs').allows('Consent', 's')
    assert not grant('system/*.rs').allows('Patient', 'r')
    assert not grant('user/Consent.rs').allows('Consent', 's')
    assert not grant('patient/Consent.rs').allows('Consent', 'r')
    assert not grant('system/Consent.rs').allows('*', 's')
