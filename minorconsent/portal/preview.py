"""The staff preview of a summary: the guardian's own page for the child,
with the summary shown as it will be once published.

It is the portal's page (``parent_view`` and the family template), so the
portal registers it with the summaries room, which keeps the door (staff,
the summary's ``view`` permission) and imports nothing of the portal
(``summaries.views.set_summary_preview``).
"""
from pyramid.renderers import render_to_response

from minorconsent.security.policy import principals_for
from minorconsent.site.dates import for_request as reader_formats
from minorconsent.site.i18n import CODES, localizer_for, translate
from minorconsent.summaries.audience import summary_readers

from .parentview import (ParentChildView, clinic_contact, goal_trends, parent_view,
                         summary_views)


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
    among those who will read it (the first by name otherwise): the
    guardians ``summary_readers`` names, whom ``FamilyAccess`` gives a scope
    (their own active consent, or a release of the client's).  A guardian
    who may use the portal but would not see the summary (no active
    consent) is no page to preview: it would show "nothing shared" under a
    banner promising what guardians will see.  When nobody would read it,
    the page shows the summary as a guardian will once someone may, and
    says why nobody can yet.  The summaries room checked the staff
    permission (``set_summary_preview``).
    """
    client = summary.workflow_client()
    clinic = request.clinic
    users = clinic['users']

    def page_of(gid):
        return parent_view(client, gid, clinic.settings, principals=principals_for(users[gid]),
                           t=lambda words: translate(request, words), preview=summary,
                           on=reader_formats(request)[0])
    readers = summary_readers(client)
    pages = []
    for gid in readers.guardian_ids:
        view = page_of(gid)
        if view is not None:
            pages.append((users[gid].display_name, gid, view))
    pages.sort(key=lambda page: page[0].casefold())
    wanted = request.GET.get('guardian')
    chosen = next((page for page in pages if page[1] == wanted), pages[0] if pages else None)
    if chosen is not None and speak_as(request, users[chosen[1]].language):
        # In the guardian's language, as they will read it (the chart's
        # words too); what the therapist wrote stays as written.
        chosen = chosen[:2] + (page_of(chosen[1]),)
    if chosen is None:
        # Nobody can read it now: the summary (and its chart) alone, as a
        # guardian will read it once someone may.
        alone = summary_views(client, (), preview=summary)
        view = ParentChildView(ref=client.__name__,
                               name=client.preferred_name or client.first_name,
                               summaries=alone,
                               goals=goal_trends(alone, lambda words: translate(request, words),
                                                 reader_formats(request)[0]),
                               clinic=clinic_contact(clinic.settings))
    else:
        view = chosen[2]
    here = request.clinic_url(summary, 'preview')
    return render_to_response('minorconsent:portal/templates/child.jinja2', {
        'child': view, 'preview': {
            'guardian': chosen[0] if chosen else '',
            'nobody': '' if chosen else readers.why_nobody or 'No guardian can read it now.',
            'others': [('%s?guardian=%s' % (here, gid), name) for name, gid, _ in pages],
            'back': request.clinic_url(summary)}}, request=request)
