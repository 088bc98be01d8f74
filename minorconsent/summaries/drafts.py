"""Writing a summary: a new draft from the goals as they are now, and the
correction of a withdrawn one."""
from minorconsent.site.folder import Folder
from minorconsent.workflow.engine import start

from .model import (GoalLine, Summary, latest_parent_note, latest_rating,
                    previous_summary_time, shared_entries)


def write_summary(clinic, client, period, parent_text, author_id):
    """A new draft summary with the current rating of every active goal.

    Each goal line copies, as they are now, the goal's parent-facing title
    and description, the newest parent note given since the previous
    summary guardians received (``previous_summary_time``) and the dated
    ratings of its progress entries (the guardians' chart plots them): what
    a guardian reads then never changes when the goal or an entry is
    edited later.
    """
    since = previous_summary_time(client)
    lines = []
    for gid, goal in client['goals'].items():
        if goal.status in ('active', 'accepted', 'planned', 'on-hold', 'completed'):
            latest = latest_rating(goal)
            lines.append(GoalLine(gid, goal.parent_title, latest.rating if latest else '',
                                  goal.parent_description or '',
                                  latest_parent_note(goal, since), shared_entries(goal)))
    return _add_draft(client, Summary(period, parent_text, lines, author_id), author_id)


def _add_draft(client, summary, author_id):
    if 'summaries' not in client:
        client.add(Folder(), 'summaries')
    client['summaries'].add(summary)
    start(summary, 'parent-summary', author_id)
    return summary


class NotCorrectable(ValueError):
    """Only a withdrawn summary is corrected (a published one is withdrawn
    first, so that guardians never read two versions side by side)."""


def write_correction(client, withdrawn, author_id):
    """A new draft that corrects ``withdrawn``: its period, text and goal
    lines copied for editing, and ``supersedes`` naming it.  Once published,
    guardians read that it corrects an earlier update, and never the
    withdrawn text itself (the parent view shows only published ones)."""
    if withdrawn.state != 'withdrawn':
        raise NotCorrectable('Only a withdrawn summary can be corrected.')
    for other in client['summaries'].values():
        if other.supersedes == withdrawn.__name__ and other.state != 'withdrawn':
            if other.state in ('draft', 'minor_review'):
                return other        # a second click: the correction already begun
            raise NotCorrectable('A correction of this summary is already published.')
    summary = Summary(withdrawn.period, withdrawn.parent_text, withdrawn.goal_lines, author_id)
    summary.supersedes = withdrawn.__name__
    return _add_draft(client, summary, author_id)
