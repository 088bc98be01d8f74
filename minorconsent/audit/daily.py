"""The audit trail's part of the daily job (``site.daily``).

``audit-seal``: the entries still waiting (page views buffered by this
process, writes in the inbox) are sealed onto the chain, so a day's run
leaves nothing waiting.

``audit-head``: the chain's head (its entry number and SHA-256) is mailed
to the address in ``minorconsent.audit.head_mail_to``, the privacy
officer's, who keeps the mails outside the clinic's servers: a second
witness of the chain, which OPERATIONS.md used to ask a person to make by
hand.  A head holds a number, a time and a hash: nothing about anyone.
Without the setting the task does nothing and says so.
"""
import transaction

from minorconsent.site.mail import send_to_operator

from .chain import log_of

#: The ini setting naming where the head goes (an address, never a form's).
HEAD_MAIL_TO = 'minorconsent.audit.head_mail_to'

HEAD_SUBJECT = 'Audit chain head'
HEAD_TEXT = """The clinic's audit chain as of {at}:

entry   {seq}
head    {head}

Keep this message. `minorconsent-audit verify` on the clinic's server
prints the same head, or a later one that follows from it; a head that
differs from what you kept means the trail was changed.
"""


def seal_waiting(run):
    recorder = getattr(run.registry, 'audit_recorder', None)
    sealed = recorder.flush() if recorder is not None else 0
    return {'sealed': sealed or 0}


def chain_head(registry):
    """``(entry number, head hash)`` of the audit chain, read in a
    connection of its own (the audit database is not the clinic's)."""
    db = registry._zodb_databases['audit']
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = db.open(transaction_manager=tm)
    try:
        audit_log = log_of(conn.root(), create=False)
        if audit_log is None:
            return 0, '0' * 64
        return audit_log.head_seq, audit_log.head_hash
    finally:
        tm.abort()
        conn.close()


def mail_head(run):
    address = (run.registry.settings.get(HEAD_MAIL_TO) or '').strip()
    if not address:
        return {'not configured': 1}
    seq, head = chain_head(run.registry)
    send_to_operator(run.request, address, HEAD_SUBJECT, HEAD_TEXT.format(
        at=run.now.strftime('%Y-%m-%d %H:%M UTC'), seq=seq, head=head))
    return {'mailed': 1}


def includeme(config):
    config.add_daily_task('audit-seal', seal_waiting, order=95)
    config.add_daily_task('audit-head', mail_head, order=99)
