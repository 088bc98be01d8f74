"""The parent view: the only door from a child's record to a guardian.

Guardian-facing code (views, templates, later emails and PDFs) receives
these frozen dataclasses, never a ``Client``.  Every field is copied here by
name; a field added to the client record reaches no guardian until it is
added to this file on purpose.

Today a guardian sees their child's first (or preferred) name and whether a
summary has been published; the parent-summary feature adds the published
goals and progress here, and only here.
"""
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ParentChildView:
    """What one guardian may see of one child."""
    ref: str                  # the client id, for building URLs
    name: str                 # preferred or first name; never the surname
    summaries: tuple = ()     # published summaries (parent-summary feature)


@dataclass(frozen=True)
class TeenView:
    """What an adolescent sees on their own page."""
    ref: str
    name: str
    therapists: tuple         # display names of their therapists


def _child_name(client):
    return client.preferred_name or client.first_name


def parent_view(client, guardian_id, settings, today=None):
    """The ``ParentChildView`` of ``client`` for ``guardian_id``, or None
    when that guardian is not entitled to see this child today."""
    today = today or date.today()
    if guardian_id not in client.entitled_guardian_ids(settings, today):
        return None
    return ParentChildView(ref=client.__name__, name=_child_name(client))


def family_views(clients, guardian_id, settings, today=None):
    """Parent views of every child this guardian may see, by name."""
    views = []
    for client in clients.children_of(guardian_id):
        view = parent_view(client, guardian_id, settings, today)
        if view is not None:
            views.append(view)
    return sorted(views, key=lambda v: v.name.casefold())


def teen_view(client, users):
    return TeenView(
        ref=client.__name__, name=_child_name(client),
        therapists=tuple(users[t].display_name for t in client.therapist_ids
                         if t in users))
