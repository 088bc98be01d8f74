"""Guardian and adolescent pages.

Each view builds a whitelisted view object and hands only that to its
template; the portal's BeforeRender subscriber removes the context and the
request from the template namespace as well.
"""
from functools import partial

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from pyramid_zodbconn import get_connection

from minorconsent.audit.accounting import record_system_reads, summary_accesses
from minorconsent.audit.chain import log_of
from minorconsent.clients import Client
from minorconsent.site import Clinic
from minorconsent.site.dates import for_request as reader_formats
from minorconsent.site.i18n import translate
from minorconsent.site.views import clinic_view
from minorconsent.summaries.model import Summary
from minorconsent.workflow.engine import Actor

from .parentview import (family_views, parent_view, shared_under_my_releases, summary_view,
                         teen_view)
from . import summary_pdf as printable


@clinic_view(context=Clinic, name='family', permission='family',
             renderer='templates/family.jinja2')
def family(request):
    clinic = request.clinic
    children = family_views(clinic['clients'], request.identity.userid,
                            clinic.settings, principals=principals(request))
    return {'children': children}


@clinic_view(context=Client, name='family', permission='view-as-guardian',
             renderer='templates/child.jinja2')
def child_page(request):
    view = parent_view(request.context, request.identity.userid,
                       request.clinic.settings, principals=principals(request),
                       t=lambda words: translate(request, words),
                       on=reader_formats(request)[0])
    if view is None:   # the ACL already said yes; belt and braces
        raise HTTPNotFound()
    return {'child': view}


@clinic_view(context=Client, name='mine', permission='view-as-self',
             renderer='templates/teen.jinja2')
def teen_page(request):
    return {'me': teen_view(request.context, request.clinic['users'], principals(request),
                            request.clinic.settings)}


@clinic_view(context=Client, name='access', permission='view-as-guardian',
             renderer='templates/access.pt')
def access_page(request):
    """Who at the clinic read this child's summaries, and what was shared
    under a release this guardian signed (an accounting of disclosures)."""
    view = parent_view(request.context, request.identity.userid,
                       request.clinic.settings, principals=principals(request))
    if view is None:
        raise HTTPNotFound()
    audit_log = log_of(get_connection(request, 'audit').root(), create=False)
    # Only the summaries this guardian may read now (none where the client
    # consents alone and released no summaries to them).
    visible = {s.ref for s in view.summaries}
    return {'child': view,
            'accesses': summary_accesses(audit_log, request.context.__name__,
                                         request.clinic['users'], visible)
            if visible else (),
            'system_reads': record_system_reads(
                audit_log, request.context.__name__, {a.ref for a in view.agreements},
                bool(view.goals)),
            'shared': shared_under_my_releases(request.context, request.identity.userid)}


def principals(request):
    return Actor.from_request(request).principals


def _summary_for_guardian(request):
    """(child view, summary view) for a published summary this guardian may
    read; 404 otherwise (the ACL said yes; the parent view must agree)."""
    summary = request.context
    client = summary.workflow_client()
    child = parent_view(client, request.identity.userid, request.clinic.settings,
                        principals=principals(request))
    if child is None or summary.__name__ not in {s.ref for s in child.summaries}:
        raise HTTPNotFound()
    return child, summary_view(summary)


@clinic_view(context=Summary, name='family', permission='view-published',
             renderer='templates/summary_page.jinja2')
def summary_page(request):
    """One published summary on its own, laid out for printing."""
    child, summary = _summary_for_guardian(request)
    return {'child': child, 's': summary}


@clinic_view(context=Summary, name='summary.pdf', permission='view-published')
def summary_pdf(request):
    child, summary = _summary_for_guardian(request)
    on, _at = reader_formats(request)
    response = Response(printable.render(child.name, summary, child.clinic,
                                        partial(translate, request), on),
                        content_type='application/pdf')
    # No names in file names: a downloads folder is as public as a history.
    response.content_disposition = 'attachment; filename="summary.pdf"'
    return response
