"""The one route the clinic lives under, and the request's way to it:
``request.clinic`` (the root, from this request's connection) and
``request.clinic_url`` (a resource's URL through the route, so URLs
carry a host app's ``route_prefix``).
"""
import logging

from pyramid.traversal import (PATH_SAFE, PATH_SEGMENT_SAFE, quote_path_segment,
                                resource_path_tuple)
from pyramid_zodbconn import get_connection

from .evolve import pending_steps
from .model import bootstrap_clinic

log = logging.getLogger(__name__)

#: The one route the clinic lives under; everything below it is traversal.
ROUTE = 'minorconsent'


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
