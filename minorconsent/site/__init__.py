"""The clinic: root of the resource tree, its settings, schema evolution.

The root holds one folder per room (``users``, ``clients``, ...), each
created by that room's evolve step, so adding a room never edits this file.
"""
import logging

from pyramid.authorization import Allow, Everyone
from pyramid.traversal import (PATH_SAFE, PATH_SEGMENT_SAFE, find_root,
                                quote_path_segment, resource_path_tuple)
from pyramid_zodbconn import get_connection

from .evolve import evolve as run_pending_steps, pending_steps
from .folder import Folder
from .forms import use_clinic_templates
from .settings import ClinicSettings
from .templating import serialize_template_compilation

log = logging.getLogger(__name__)

ROOT_KEY = 'minorconsent'
#: The one route the clinic lives under; everything below it is traversal.
ROUTE = 'minorconsent'


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


_warned = set()


def request_clinic(request):
    """``request.clinic``: the clinic from this request's connection.

    Reified, so the security policy and traversal share one lookup.
    """
    conn = get_connection(request)
    clinic = bootstrap_clinic(conn.root(), request.registry)
    key = id(request.registry)
    if key not in _warned:
        _warned.add(key)
        pending = pending_steps(clinic, request.registry)
        if pending:
            log.warning('database needs evolving (%s); run minorconsent-evolve',
                        ', '.join(name for name, _ in pending))
    return clinic


def root_factory(request):
    return request.clinic


def clinic_url(request, resource, *elements, query=None, anchor=None):
    """``request.clinic_url``: a resource's URL through the clinic's route,
    so URLs carry a host app's ``route_prefix``.  As with
    ``resource_url``, a resource's own URL ends in a slash.

    A list page builds a URL per row, and ``route_url`` re-parses its
    overrides and regenerates the route each time: the route's base is
    computed once per request and the path quoted the way the route's
    generator quotes it (``tests/site/test_clinic_url.py`` holds the two
    to the same answer)."""
    path = resource_path_tuple(resource)[1:]
    if not elements:
        elements = ('',) if path else ()
    if query or anchor:
        kw = {'traverse': path}
        if query:
            kw['_query'] = query
        if anchor:
            kw['_anchor'] = anchor
        return request.route_url(ROUTE, *elements, **kw)
    base = request.__dict__.get('_mc_clinic_base')
    if base is None:
        base = request.__dict__['_mc_clinic_base'] = request.route_url(ROUTE, traverse=())
    url = base + '/'.join([quote_path_segment(name, safe=PATH_SAFE) for name in path])
    if elements:
        suffix = '/'.join([quote_path_segment(e, safe=PATH_SEGMENT_SAFE) for e in elements])
        url = url + suffix if url.endswith('/') else url + '/' + suffix
    return url


def includeme(config):
    config.add_directive('add_evolve_step',
                         'minorconsent.site.evolve:add_evolve_step')
    use_clinic_templates()
    serialize_template_compilation()
    config.include('.i18n')
    config.include('.views')
    config.include('.hidden')
