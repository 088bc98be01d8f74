"""The audit trail: who did what to which record, when and from where.

``chain``: the append-only, hash-chained log in its own database.
``recorder``: transactional entries for writes, group-committed reads.
``access``: a view deriver that records every clinic view.
``views``: the viewer and CSV export; ``scope``: how much of it a reader
sees (the privacy officer everything, the admin staff and system actions
without clients); ``officer``: the privacy officer's accounting of
disclosures; ``accounting``: what a guardian may see of it (who at the
clinic read their child's summaries); ``witness``: signed copies of the
chain head kept outside the database, which ``verify`` checks.

Settings:

``zodbconn.uri.audit``
    Required.  The audit database (a second FileStorage, or a second
    RelStorage schema): an undo or restore of the clinic database cannot
    rewrite it.
``minorconsent.audit.flush_seconds``
    How often buffered page-view entries are sealed (default 1).  This is
    the window of reads a crash can lose.
``minorconsent.audit.witness_file``, ``minorconsent.audit.witness_key``,
``minorconsent.audit.witness_public_key``
    Read by ``minorconsent-audit`` only (never by the server): where the
    witnessed heads are appended, the Ed25519 key that signs them, and the
    public key that checks them (default: the key's path + ``.pub``).
``minorconsent.audit.witness_max_age_minutes``
    Read by ``verify``: an entry older than this that no witness covers,
    after a witness older than this, is reported as broken (the schedule
    stopped).  Default 60; 0 turns the check off.
"""
from pyramid.exceptions import ConfigurationError
from pyramid.settings import asbool
from pyramid.viewderivers import INGRESS

from .access import audited_view
from .recorder import Recorder, note, seal_on_sigterm  # noqa: F401  (note: the room's API)

AUDIT_DB = 'audit'


def includeme(config):
    settings = config.registry.settings
    databases = getattr(config.registry, '_zodb_databases', {}) or {}
    if AUDIT_DB not in databases:
        raise ConfigurationError(
            'minorconsent keeps its audit trail in a database of its own: '
            'set zodbconn.uri.audit (see README.md).')
    config.registry.audit_recorder = Recorder(
        config.registry,
        interval=float(settings.get('minorconsent.audit.flush_seconds', 1.0)),
        background=asbool(settings.get('minorconsent.audit.background', True)))
    if config.registry.audit_recorder.background:
        seal_on_sigterm()
    config.add_view_deriver(audited_view, 'minorconsent_audit',
                            under=INGRESS, over='secured_view')
    config.include('.daily')
    config.scan('.views')
