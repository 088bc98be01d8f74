"""Parent progress summaries: progress on goals, summaries under the
summary workflow, and what guardians may read of them (through the parent
view only)."""
from minorconsent.site.folder import Folder
from minorconsent.workflow.engine import start

from .model import (ACHIEVEMENT, FAMILY_STATES, GoalLine, Summary, add_progress,
                    latest_parent_note, latest_rating, previous_summary_time)


def write_summary(clinic, client, period, parent_text, author_id):
    """A new draft summary with the current rating of every active goal.

    Each goal line copies, as they are now, the goal's parent-facing title
    and description and the newest parent note given since the previous
    summary guardians received (``previous_summary_time``): what a guardian
    reads then never changes when the goal is edited later.
    """
    since = previous_summary_time(client)
    lines = []
    for gid, goal in client['goals'].items():
        if goal.status in ('active', 'accepted', 'planned', 'on-hold', 'completed'):
            latest = latest_rating(goal)
            lines.append(GoalLine(gid, goal.parent_title, latest.rating if latest else '',
                                  goal.parent_description or '',
                                  latest_parent_note(goal, since)))
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


def minor_agreed(ctx):
    """The adolescent read the summary under review and agreed to share it."""
    return bool(getattr(ctx.obj, 'review_agreed', False))


def minor_agreed_if_reviewed(ctx):
    """Publishing straight from a draft: allowed for a summary that never
    went to the adolescent's review; once it has, only if they agreed to
    exactly this text (the latest round, no edit since).  Otherwise a
    therapist could send it back to draft after the teen asked for changes
    and publish over their objection, which the review exists to prevent.
    """
    summary = ctx.obj
    was_reviewed = getattr(summary, 'was_reviewed', None)
    if was_reviewed is None:
        # Named on another kind of object's step (any guard can be chosen
        # in the editor): fail closed, like every guard.
        return False
    if not was_reviewed():
        return True
    return summary.review_agreed_now()


def includeme(config):
    config.add_client_container('summaries', Summary)
    config.add_workflow_guard('minor_agreed', minor_agreed)
    config.add_workflow_guard('minor_agreed_if_reviewed', minor_agreed_if_reviewed)
    config.include('.evolve')
    config.declare_family_states('summary', 'guardians read a summary only once it is '
                                 'published, and the client also while reviewing it',
                                 **FAMILY_STATES)
    config.require_workflow_state('summary', 'draft', 'a summary can be edited only in this '
                                  'state')
    config.require_workflow_state('summary', 'minor_review', "the client's review of a summary "
                                  'happens in this state, and publishing checks for it')
    config.require_workflow_state('summary', 'published', 'guardians are told when a summary '
                                  'reaches this state, and a summary the client reviewed '
                                  'reaches it only with their agreement to its text',
                                  guards_into=('minor_agreed_if_reviewed',))
    config.require_workflow_state('summary', 'withdrawn', 'only a summary in this state can be '
                                  'corrected')
    config.require_workflow_state('consent', 'active', 'guardians read summaries only under '
                                  'a consent in this state')
    config.include('.subscribers')
    # POST <summary>/step: the workflow room's one step view.
    config.add_step_view(Summary)
    config.add_directive('set_summary_preview',
                         'minorconsent.summaries.views:set_summary_preview')
    config.scan('.views')


__all__ = ['ACHIEVEMENT', 'NotCorrectable', 'Summary', 'add_progress', 'write_correction',
           'write_summary']
