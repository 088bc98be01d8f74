"""The fhirapi room's evolve step (``site.evolve``): the registry of API
clients on the clinic.  The step name is recorded in every database that
ran it: never rename it."""
from .clients import ApiClients


def add_api_clients(root, registry):
    """``clinic.api_clients``: an attribute, not a child of the tree, so no
    URL traverses into the registry.  Its ``__parent__`` is the clinic, so
    the audit notes of a registry made in this very transaction find the
    clinic's connection."""
    if getattr(root, 'api_clients', None) is None:
        store = ApiClients()
        store.__parent__ = root
        root.api_clients = store


def includeme(config):
    config.add_evolve_step('0039-fhirapi-clients', add_api_clients)
