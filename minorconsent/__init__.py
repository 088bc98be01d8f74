"""minorconsent: guardian consent, confidentiality agreements and parent
summaries for child and adolescent therapy practices.

``main`` is the paste entry point for a standalone app; ``includeme`` lets a
host Pyramid app mount the whole clinic with
``config.include('minorconsent', route_prefix='/portal')``.
"""
from pyramid.config import Configurator
from pyramid.renderers import render_to_response

from .agreements.model import age_note
from .portal.parentview import ParentChildView, clinic_contact, parent_view, summary_views
from .portal.views import summary_macros
from .security.policy import principals_for
from .site import ROUTE, clinic_url, request_clinic, root_factory
from .site.i18n import CODES, localizer_for, translate
from .site.mail import include_mailer
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
    config.include('pyramid_chameleon')
    config.include('pyramid_retry')
    config.include('pyramid_tm')
    config.include('pyramid_zodbconn')
    drop_activity_monitors(config.registry)
    include_mailer(config)
    config.add_request_method(request_clinic, 'clinic', reify=True)
    config.add_request_method(clinic_url, 'clinic_url')
    config.add_static_view('static', 'minorconsent:static/', cache_max_age=3600)
    config.add_route(ROUTE, '/*traverse', factory=root_factory)
    for room in ROOMS:
        config.include(room)
    # Until the rooms that own them register these themselves (the
    # agreements room its note, the portal its preview page), the app ties
    # them to the lower rooms that ask for them, which import neither.
    config.add_document_note('agreements', age_note)
    config.set_summary_preview(staff_preview)


def speak_as(request, language):
    """Render the rest of this request in ``language`` (a family member's
    saved choice); True if that changed anything."""
    if language not in CODES or language == request.locale_name:
        return False
    request.__dict__['locale_name'] = language
    request.__dict__['localizer'] = localizer_for(request, language)
    return True


def staff_preview(request, summary):
    """The guardian's whole page for this child, as it will look once
    ``summary`` is published: built by ``parent_view`` for that guardian
    (their principals, their agreements and notices), with this summary
    included as if published.  ``?guardian=`` picks which guardian's page
    among those who may read the child (the first by name otherwise).  The
    summaries room checked the staff permission (``set_summary_preview``).
    """
    client = summary.workflow_client()
    clinic = request.clinic
    users = clinic['users']

    def page_of(gid):
        return parent_view(client, gid, clinic.settings, principals=principals_for(users[gid]),
                           t=lambda words: translate(request, words), preview=summary)
    pages = []
    for gid in client.entitled_guardian_ids(clinic.settings):
        user = users.get(gid)
        if user is None or not user.active:
            continue
        view = page_of(gid)
        if view is not None:
            pages.append((user.display_name, gid, view))
    pages.sort(key=lambda page: page[0].casefold())
    wanted = request.GET.get('guardian')
    chosen = next((page for page in pages if page[1] == wanted), pages[0] if pages else None)
    if chosen is not None and speak_as(request, users[chosen[1]].language):
        # In the guardian's language, as they will read it (the chart's
        # words too); what the therapist wrote stays as written.
        chosen = chosen[:2] + (page_of(chosen[1]),)
    if chosen is None:
        # Nobody can read it now: the summary alone, as it will read.
        view = ParentChildView(ref=client.__name__,
                               name=client.preferred_name or client.first_name,
                               summaries=summary_views(client, (), preview=summary),
                               clinic=clinic_contact(clinic.settings))
    else:
        view = chosen[2]
    here = request.clinic_url(summary, 'preview')
    return render_to_response('minorconsent:portal/templates/child.pt', {
        'child': view, 'summary_macros': summary_macros(), 'preview': {
            'guardian': chosen[0] if chosen else '',
            'others': [('%s?guardian=%s' % (here, gid), name) for name, gid, _ in pages],
            'back': request.clinic_url(summary)}}, request=request)


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
    return config.make_wsgi_app()
