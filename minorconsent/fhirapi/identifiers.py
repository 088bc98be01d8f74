"""How the API names things: resource ids, the clinic's own client id as
``Patient.identifier``, and the addresses its links carry.

A client's FHIR id is the app's opaque client id.  A guardian link, a goal,
an agreement belong to one client, and their app ids are unique only below
it (a guardian account is one person linked to several children; a
RelatedPerson is one of those links), so their FHIR ids are
``<client id>.<own id>``: a read finds the record with two dictionary
lookups, no index and no walk, and the id is still opaque (``new_id``
ids are letters and digits, a FHIR id allows the dot).

Every address the API hands out (``fullUrl``, ``next`` links, attachment
URLs) is built from the configured public address, never from the
request's ``Host``: a forged host would otherwise travel into an EHR's
stored references.
"""
import re

from minorconsent.site.canonical import public_url

#: The setting naming the URI of the clinic's own client ids (its MRN
#: system, as the EHR knows it).
IDENTIFIER_SETTING = 'minorconsent.fhir.patient_identifier_system'
#: Below the public address when the setting is not given.
DEFAULT_IDENTIFIER_PATH = ('fhir', 'NamingSystem', 'client-id')
#: Where the API lives below the clinic's root.
BASE = 'fhir'

#: An app id (``site.folder.new_id`` and the seed's ids): letters and digits.
_PART = re.compile(r'[A-Za-z0-9]{1,40}\Z')


def identifier_system(registry):
    """The configured system URI of ``Patient.identifier`` (the clinic's own
    client id), or the default below the public address."""
    configured = (registry.settings.get(IDENTIFIER_SETTING) or '').strip()
    return configured or public_url(registry, *DEFAULT_IDENTIFIER_PATH)


def api_url(registry, *elements):
    """An address below ``/fhir/``, from the configured public address."""
    return public_url(registry, BASE, *elements)


def compound(client_id, own_id):
    return '%s.%s' % (client_id, own_id)


def split_compound(fhir_id):
    """``(client id, own id)`` of a compound id, or None for anything that
    is not one (then the read answers the one not-found)."""
    client_id, dot, own_id = (fhir_id or '').partition('.')
    if not dot or not _PART.match(client_id) or not _PART.match(own_id):
        return None
    return client_id, own_id


def plain_id(fhir_id):
    """A client id as a FHIR id, or None when it cannot be one."""
    return fhir_id if _PART.match(fhir_id or '') else None


def parse_token(value):
    """A token search value ``system|code``, ``|code`` or ``code``:
    ``(system or None, code)``; ``system`` is '' for ``|code`` (no system)."""
    if '|' in value:
        system, _, code = value.partition('|')
        return system, code
    return None, value


def client_of_reference(value):
    """The client id of a ``patient`` search value: ``Patient/ID``, an
    absolute URL ending in it, or a bare ``ID``; None otherwise."""
    value = value.rstrip('/')
    head, _, tail = value.rpartition('/')
    if head and not (head == 'Patient' or head.endswith('/Patient')):
        return None
    return plain_id(tail)
