"""The workflow guard this room registers (``config.add_workflow_guard``)."""


def consenting_party_may_consent(ctx):
    """The agreement's consenting party may consent today: for guardians,
    the client is still a minor; where the client is the consenting party
    (``minor_consents``), the client has reached the self-consent age (an
    adult always has).  Named by the steps that send an agreement out, so
    the hand-over at majority is not a dead end: the guardians' agreement
    can no longer be sent, the client's own can.  Fails closed for an
    object that is not an agreement."""
    client, obj = ctx.client, ctx.obj
    if client is None or not hasattr(obj, 'minor_consents'):
        return False
    if obj.minor_consents:
        return client.may_self_consent(ctx.settings, ctx.today)
    return client.is_minor(ctx.settings, ctx.today)
