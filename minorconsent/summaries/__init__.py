"""Parent progress summaries: progress on goals, summaries under the
summary workflow, and what guardians may read of them (through the parent
view only)."""
from minorconsent.site.folder import Folder
from minorconsent.workflow.engine import start

from .model import ACHIEVEMENT, GoalLine, Summary, add_progress, latest_rating


def write_summary(clinic, client, period, parent_text, author_id):
    """A new draft summary with the current rating of every active goal."""
    lines = []
    for gid, goal in client['goals'].items():
        if goal.status in ('active', 'accepted', 'planned', 'on-hold', 'completed'):
            latest = latest_rating(goal)
            lines.append(GoalLine(gid, goal.parent_title, latest.rating if latest else ''))
    summary = Summary(period, parent_text, lines, author_id)
    if 'summaries' not in client:
        client.add(Folder(), 'summaries')
    client['summaries'].add(summary)
    start(summary, 'parent-summary', author_id)
    return summary


def minor_agreed(ctx):
    """The adolescent read the summary under review and agreed to share it."""
    return bool(getattr(ctx.obj, 'review_agreed', False))


def includeme(config):
    config.add_workflow_guard('minor_agreed', minor_agreed)
    config.scan('.views')


__all__ = ['ACHIEVEMENT', 'Summary', 'add_progress', 'write_summary']
