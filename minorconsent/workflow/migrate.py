"""Moving objects in flight to a newly published version.

Publishing a version moves every object of the current version to it.  A
state the new version lacks must be mapped, by the admin, to one of its
states: there is no silent fallback to the initial state.  Objects move in
batches; each batch is a transaction of its own when run by
``minorconsent-migrate``, and a crash loses at most the batch in progress:
the moved objects have left the old ``(version, state)`` index, so the next
run simply continues.  Until it is moved, an object keeps working under its
old version, which is never deleted.  Every moved object gets a history
entry naming the admin.
"""
from datetime import datetime, timezone
from itertools import islice

from BTrees.Length import Length
from persistent import Persistent

from minorconsent.audit.recorder import note

from .history import HistoryEntry


class MigrationError(ValueError):
    pass


class Migration(Persistent):
    """One move from ``from_version`` to ``to_version``."""

    finished = None

    def __init__(self, from_version, to_version, mapping, actor_id, comment, total):
        self.from_version = from_version
        self.to_version = to_version
        self.mapping = dict(mapping)
        self.actor_id = actor_id
        self.comment = comment
        self.total = total
        self.moved = Length()
        self.started = datetime.now(timezone.utc)


def occupied(record):
    """``{state: count}`` of objects under the current version."""
    return {state: n for (version, state), n in record.population().items()
            if version == record.current}


def plan(record, new_workflow, mapping=None):
    """The dry run: ``[(old state, count, new state or None)]``.

    Kept states map to themselves unless ``mapping`` says otherwise; a
    removed state without a mapping shows ``None``.
    """
    mapping = mapping or {}
    rows = []
    for state, count in sorted(occupied(record).items()):
        target = mapping.get(state) or (state if new_workflow.has_state(state) else None)
        rows.append((state, count, target))
    return rows


def publish_with_migration(record, source, new_workflow, mapping, actor_id, comment=''):
    """Publish ``source`` and start moving the current version's objects.

    ``mapping`` must send every occupied state the new version lacks to a
    state it has; otherwise ``MigrationError`` and nothing changes.
    """
    rows = plan(record, new_workflow, mapping)
    missing = [state for state, _, target in rows if target is None]
    if missing:
        raise MigrationError('Choose a new state for the objects in: %s.' % ', '.join(missing))
    wrong = [target for _, _, target in rows if not new_workflow.has_state(target)]
    if wrong:
        raise MigrationError('These are not states of the new version: %s.' % ', '.join(wrong))
    if getattr(record, 'migration', None) is not None and not record.migration.finished:
        raise MigrationError('A previous migration is still running; finish it first.')
    old_version = record.current
    version = record.publish(source)
    record.migration = Migration(old_version, version, {s: t for s, _, t in rows},
                                 actor_id, comment, sum(n for _, n, _ in rows))
    if not rows:
        record.migration.finished = record.migration.started
    note(record, 'admin.workflow_publish', actor=actor_id,
         detail='%s: version %s -> %s; %d objects to move (%s)' % (
             record.__name__, old_version, version, record.migration.total,
             ', '.join('%s->%s' % (s, t) for s, _, t in rows) or 'no state changes'))
    return version


def run_batch(record, size=1000, now=None):
    """Move up to ``size`` objects; return how many moved (0 when done)."""
    migration = getattr(record, 'migration', None)
    if migration is None or migration.finished:
        return 0
    now = now or datetime.now(timezone.utc)
    old = record.definition(migration.from_version)
    new = record.definition(migration.to_version)
    moved = 0
    for state, target in sorted(migration.mapping.items()):
        if moved >= size:
            break
        keys = list(islice(record.by_state.get((migration.from_version, state), ()),
                           size - moved))
        for key in keys:
            obj = record.members[key]
            record.leave(obj)
            obj.history.append(HistoryEntry(
                time=now, actor=migration.actor_id, transition='migrate',
                transition_title='Moved to version %d' % migration.to_version,
                from_state=state, from_title=old.state(state).title,
                to_state=target, to_title=new.state(target).title,
                comment=migration.comment, workflow_id=new.id,
                version=migration.to_version))
            obj.workflow_version = migration.to_version
            obj.state = target
            record.enter(obj)
        moved += len(keys)
    migration.moved.change(moved)
    if moved < size:
        migration.finished = now
    if moved:
        note(record, 'workflow.migrate', actor=migration.actor_id,
             detail='%s: %d objects moved to version %s' % (
                 record.__name__, moved, migration.to_version))
    return moved
