"""minorconsent: guardian consent, confidentiality agreements and parent
summaries for child and adolescent therapy practices.

``main`` is the paste entry point for a standalone app; ``includeme`` lets a
host Pyramid app mount the whole clinic with
``config.include('minorconsent', route_prefix='/portal')``.
"""
from pyramid.config import Configurator

from .site import ROUTE, clinic_url, request_clinic, root_factory
from .site.daily import start_in_server
from .site.mail import include_mailer
from .site.request import fold_request_extensions
from .site.storage import make_storage_directories
from .site.views import not_found

ROOMS = (
    '.site',
    '.security',
    '.audit',
    '.accounts',
    '.clients',
    '.portal',
    '.workflow',
    '.agreements',
    '.summaries',
    '.disclosures',
    '.reminders',
    '.worklist',
    '.caseload',
    '.fhirapi',
)


def includeme(config):
    """Mount the clinic: storage, security, every room, static files.

    Everything is traversal under one route, so a host app's
    ``route_prefix`` moves the whole clinic without changing any view.
    """
    settings = config.registry.settings
    settings.setdefault('tm.manager_hook', 'pyramid_tm.explicit_manager')
    settings.setdefault('retry.attempts', '3')
    # A 4xx or 5xx answer commits nothing: a rejected form changes nothing
    # even if a view wrote before it found the problem.
    settings.setdefault('tm.commit_veto', 'pyramid_tm.default_commit_veto')
    # pyramid_tm would ask for the signed-in user at the start of every
    # request (a static file's too) to write it into the ZODB transaction's
    # ``user``; nothing reads that (no undo log or storage history is shown
    # anywhere), and the audit trail records who did what (audit/access.py).
    settings.setdefault('tm.annotate_user', 'false')
    config.include('pyramid_chameleon')
    config.include('pyramid_retry')
    config.include('pyramid_tm')
    # pyramid_zodbconn opens the databases: their folders must exist.
    make_storage_directories(settings)
    config.include('pyramid_zodbconn')
    drop_activity_monitors(config.registry)
    include_mailer(config)
    config.add_request_method(request_clinic, 'clinic', reify=True)
    config.add_request_method(clinic_url, 'clinic_url')
    config.add_static_view('static', 'minorconsent:static/', cache_max_age=3600)
    config.add_route(ROUTE, '/*traverse', factory=root_factory)
    for room in ROOMS:
        config.include(room)


def drop_activity_monitors(registry):
    """Remove the ZODB activity monitor pyramid_zodbconn gives each database.

    ``ZODB.ActivityMonitor`` appends a ``(time, loads, stores)`` tuple for
    every connection closed -- two per request, the clinic's connection
    and its audit connection -- and keeps an hour of them (~96 bytes
    each): at 400 requests/s, ~2.9 million tuples, about 260 MiB, rising
    for the first hour.  bench/soak.py saw it as resident memory growing
    for the whole run (bench/RESULTS.md).  Nothing here reads it (it feeds
    the Zope control panel's activity chart).  A test or a debugging
    session can still ``db.setActivityMonitor(...)`` its own.
    """
    for db in (getattr(registry, '_zodb_databases', None) or {}).values():
        db.setActivityMonitor(None)


def main(global_config, **settings):
    """Paste entry point: the clinic as a standalone WSGI app."""
    with Configurator(settings=settings) as config:
        config.include(includeme)
        # A path the clinic's route cannot match (its pattern's ``.*`` stops
        # at a newline: ``/%0A/``) would get Pyramid's own plain-text 404,
        # echoing the path.  Standalone, the whole site is the clinic: it
        # gets the clinic's one not-found page.  (A host app keeps its own.)
        config.add_notfound_view(not_found)
    app = config.make_wsgi_app()
    # One request class carrying every request extension, instead of a new
    # class built for each request by the router (site/request.py).
    fold_request_extensions(app)
    # On the embedded FileStorage no script can open the database while the
    # server holds it: the server runs the daily tasks itself (site.daily).
    start_in_server(app.registry)
    return app
