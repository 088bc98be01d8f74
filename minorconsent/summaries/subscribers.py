"""What a summary's steps set off, whatever route fired them.

* Into the client's review: a new round of review, so their earlier
  agreement no longer counts.
* Into published: guardians who may read it and accept email are told
  (the mail joins the request's transaction; a step fired outside a
  request, e.g. by a script, tells nobody).
"""
from pyramid.threadlocal import get_current_request

from minorconsent.workflow.events import AfterTransition

from .model import Summary
from .notify import notify_guardians


def summary_stepped(event):
    summary = event.object
    if not isinstance(summary, Summary):
        return
    if event.to_state == 'minor_review':
        summary.review_agreed = False
    elif event.to_state == 'published' and event.announce:
        request = get_current_request()
        if request is not None:
            notify_guardians(request, summary)


def includeme(config):
    config.add_subscriber(summary_stepped, AfterTransition)
