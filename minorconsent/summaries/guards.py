"""The summaries room's workflow guards (``config.add_workflow_guard``):
the adolescent's review decides whether a summary is published."""
from .audience import review_required


def minor_agreed(ctx):
    """The adolescent read the summary under review and agreed to share it."""
    return bool(getattr(ctx.obj, 'review_agreed', False))


def minor_agreed_if_reviewed(ctx):
    """Publishing straight from a draft: allowed for a summary that never
    went to the adolescent's review; once it has, only if they agreed to
    exactly this text (the latest round, no edit since).  Otherwise a
    therapist could send it back to draft after the teen asked for changes
    and publish over their objection, which the review exists to prevent.

    Where the clinic makes the review mandatory (``teen_review_age``, see
    ``audience.review_required``) the client's agreement to this text is
    needed whether or not the therapist sent it for review.  The app asks
    this guard of every step into "published" (``guards_into``), so no
    stored definition needs a new guard for the setting to hold.
    """
    summary = ctx.obj
    was_reviewed = getattr(summary, 'was_reviewed', None)
    if was_reviewed is None:
        # Named on another kind of object's step (any guard can be chosen
        # in the editor): fail closed, like every guard.
        return False
    if review_required(ctx.client, ctx.settings, ctx.today):
        return was_reviewed() and summary.review_agreed_now()
    if not was_reviewed():
        return True
    return summary.review_agreed_now()
