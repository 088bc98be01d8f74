"""Telling guardians that something new is in the portal.

The message says only that: no child's name, no clinic specialty, no
content.  It goes to each guardian who may read the summary now (entitled,
consent active) and may be emailed (the one rule of
``minorconsent.clients.contact``: no record of theirs says "no email").
"""
from minorconsent.security.policy import principals_for
from minorconsent.site.canonical import public_url
from minorconsent.site.i18n import _, localizer_for
from minorconsent.site.mail import may_email, send
from minorconsent.workflow.engine import permits

NEW_SUBJECT = _('Something new for you')
NEW_TEXT = _('mail-something-new', default=(
    'Hello,\n\nThere is something new for you on ${portal}.\n\n'
    'Sign in to see it:\n${url}\n'))


def notify_guardians(request, summary):
    """Mail every guardian who may read ``summary`` and accepts email;
    return how many were told.  Sent only if the request commits."""
    clinic = request.clinic
    client = summary.workflow_client()
    users = clinic['users']
    told = 0
    for gid, link in client['guardians'].items():
        user = users.get(gid)
        if user is None or not may_email(request, user):
            continue
        if not permits(summary, principals_for(user), 'view-published'):
            continue
        # In the guardian's language: the email says the same in each.
        localizer = localizer_for(request, user.language)
        send(request, user, localizer.translate(NEW_SUBJECT),
             localizer.translate(_(NEW_TEXT, mapping={
                 'portal': clinic.settings.portal_name,
                 'url': public_url(request, 'login')})))
        told += 1
    return told
