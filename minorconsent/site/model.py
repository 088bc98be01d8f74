"""The clinic: the root of the resource tree, one per database.

The root holds one folder per room (``users``, ``clients``, ...), each
created by that room's evolve step, so adding a room never edits this
file.  Databases built before this module name the class
``minorconsent.site.Clinic``: the package keeps that name.
"""
from pyramid.authorization import Allow, Everyone
from pyramid.traversal import find_root

from .evolve import evolve as run_pending_steps
from .folder import Folder
from .settings import ClinicSettings

ROOT_KEY = 'minorconsent'


class Clinic(Folder):
    """The application root: one clinic per database."""

    __name__ = ''
    __parent__ = None

    def __init__(self):
        super().__init__()
        self.settings = ClinicSettings()

    #: Site-wide permissions by global role.  Client-scoped permissions are
    #: granted on each client by its own computed ACL, which ends in
    #: DENY_ALL, so nothing granted here reaches a child's record.
    __acl__ = [
        (Allow, 'role:admin', ('administer', 'read-audit', 'signed-in')),
        # The whole audit trail (client references, family accounts'
        # actions, disclosure details) and the accounting of disclosures.
        (Allow, 'role:privacy_officer', ('read-audit', 'read-whole-audit', 'signed-in')),
        (Allow, 'role:therapist', ('list-clients', 'add-client', 'signed-in')),
        (Allow, 'role:supervisor', ('supervise', 'signed-in')),
        (Allow, 'role:guardian', ('family', 'signed-in')),
        (Allow, 'role:adolescent', ('signed-in',)),
        (Allow, Everyone, ('public',)),
    ]


def find_clinic(resource):
    """The clinic a resource belongs to (the root of its tree)."""
    return find_root(resource)


def bootstrap_clinic(zodb_root, registry):
    """Return the clinic in ``zodb_root``, building it on first use."""
    clinic = zodb_root.get(ROOT_KEY)
    if clinic is None:
        clinic = Clinic()
        zodb_root[ROOT_KEY] = clinic
        # Joined to the connection now, not at commit: what is built in this
        # first transaction (the seed) already has a transaction to put its
        # audit entries in.
        jar = getattr(zodb_root, '_p_jar', None)
        if jar is not None:
            jar.add(clinic)
        run_pending_steps(clinic, registry)
    return clinic
