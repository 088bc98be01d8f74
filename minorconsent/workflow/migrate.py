"""Moving objects in flight to a newly published version.

Publishing a version moves every object of the current version to it.  A
state the new version lacks must be mapped, by the admin, to one of its
states: there is no silent fallback to the initial state.  Only such a
state is mapped, and only into the starting state, provided no guarded step
leads to it, it does not activate consent and no family member can see it
(``target_problem``): a move is history, never a way past a signature, a
review or a sign-off.  Objects move in
batches; each batch is a transaction of its own when run by
``minorconsent-migrate``, and a crash loses at most the batch in progress:
the moved objects have left the old ``(version, state)`` index, so the next
run simply continues.  Until it is moved, an object keeps working under its
old version, which is never deleted.  Every moved object gets a history
entry naming the admin.
"""
from itertools import islice

from BTrees.Length import Length
from persistent import Persistent

from minorconsent.audit.recorder import note
from minorconsent.site.clock import utcnow

from .definition import loads
from .history import MIGRATION_STEP, HistoryEntry
from .requirements import declared_family_states
from .validate import guarded_into, problems
from .vocabulary import FAMILY_ROLES


class MigrationError(ValueError):
    """A move refused; ``problems`` is ``{old state: sentence}`` for the
    choices at fault (shown next to each)."""

    def __init__(self, message, problems=None):
        super().__init__(message)
        self.problems = dict(problems or {})


def family_visible(workflow, family):
    """Ids of the states of ``workflow`` a family member can see anything
    in: those the rooms declare (``family``: ``{role: states}``) where the
    definition grants the role anything -- or, without the declarations,
    every state that grants a family role anything."""
    found = set()
    for state in workflow.states:
        for role in FAMILY_ROLES:
            if state.granted(role) and (family is None or state.id in family.get(role, ())):
                found.add(state.id)
    return found


def target_problem(old, new, state, target, family):
    """Why the documents in ``state`` (of version ``old``) may not go to
    ``target`` of version ``new``; '' when they may.

    A state map exists for the states the new version removes, and only
    into the starting state -- where a document is without having passed
    a step -- and only if no guarded step leads to it, it does not activate
    consent, and no family member can see a document in it.  So a
    migration never makes a document active, published, withdrawn or
    visible to a family."""
    if not new.has_state(target):
        return '"%s" is not a state of the new version.' % target
    if new.has_state(state):
        if target == state:
            return ''
        return ('The documents in "%s" stay in "%s": the new version keeps that state, and a '
                'state map is only for the states it removes.' % (state, state))
    return entry_problem(new, target, family)


def entry_problem(new, target, family):
    """Why a document may not be put into ``target`` without a step; ''.

    Only the starting state, where every document begins without a step,
    and only if it is behind no guard, activates no consent and shows a
    family nothing (the validator says the same of a starting state; a
    version stored before that rule is held to it here)."""
    into = new.state(target)
    if into.activates_consent:
        return ('"%s" activates consent: a document gets there only with every required '
                'signature, never by a move.' % target)
    if target in family_visible(new, family):
        return ('A family member can see documents in "%s": a move never shows a document '
                'to a family.' % target)
    guarded = guarded_into(new, target)
    if guarded:
        return ('"%s" is reached only when %s holds: a move would skip that check.'
                % (target, ' and '.join('"%s"' % g for g in sorted(
                    {g for t in guarded for g in t.guards}))))
    if target != new.initial_state:
        return ('Documents of a removed state may go only into the starting state "%s": '
                '"%s" is reached by a step, and a move never takes the place of one.'
                % (new.initial_state, target))
    return ''


def allowed_targets(new, family):
    """The states of ``new`` the documents of a removed state may go to."""
    return [s.id for s in new.states if not entry_problem(new, s.id, family)]


def mapping_problems(old, new, mapping, family):
    """``{state: sentence}`` for every choice of ``mapping`` that may not
    be made (``family``: the rooms' declared family states, or None)."""
    found = {}
    for state, target in sorted(mapping.items()):
        problem = target_problem(old, new, state, target, family)
        if problem:
            found[state] = problem
    return found


def declared_family(workflow):
    return declared_family_states(workflow.content_type)


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
        self.started = utcnow()


def occupied(record):
    """``{state: count}`` of objects under the current version."""
    return {state: n for (version, state), n in record.population().items()
            if version == record.current}


def plan(record, new_workflow, mapping=None):
    """The dry run: ``[(old state, count, new state or None)]``.

    Kept states map to themselves (a mapping for one is refused by
    ``publish_with_migration``); a removed state without a mapping shows
    ``None``.
    """
    mapping = mapping or {}
    rows = []
    for state, count in sorted(occupied(record).items()):
        target = state if new_workflow.has_state(state) else (mapping.get(state) or None)
        rows.append((state, count, target))
    return rows


def publish_with_migration(record, source, new_workflow, mapping, actor_id, comment='',
                           family=None):
    """Publish ``source`` and start moving the current version's objects.

    ``mapping`` must send every occupied state the new version lacks to a
    state it has, each allowed by ``target_problem`` (``family``: the
    declared family states, by default the current registry's); otherwise
    ``MigrationError`` and nothing changes.
    """
    family = declared_family(new_workflow) if family is None else family
    refused = mapping_problems(record.definition(), new_workflow, mapping, family)
    if refused:
        raise MigrationError(' '.join(refused[s] for s in sorted(refused)), refused)
    rows = plan(record, new_workflow, mapping)
    missing = [state for state, _, target in rows if target is None]
    if missing:
        raise MigrationError('Choose a new state for the objects in: %s.' % ', '.join(missing),
                             {s: 'Choose a new state for these objects.' for s in missing})
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


def run_batch(record, size=1000, now=None, family=None):
    """Move up to ``size`` objects; return how many moved (0 when done).

    ``MigrationError`` (nothing moved) for a mapping ``target_problem``
    refuses."""
    migration = getattr(record, 'migration', None)
    if migration is None or migration.finished:
        return 0
    now = now or utcnow()
    old = record.definition(migration.from_version)
    new = record.definition(migration.to_version)
    # A migration stored before these rules, or written into the database,
    # is held to them too: nothing moves past a guard.
    refused = mapping_problems(old, new, migration.mapping,
                               declared_family(new) if family is None else family)
    if refused:
        raise MigrationError('%s: the move to version %d is refused: %s' % (
            record.__name__, migration.to_version,
            ' '.join(refused[s] for s in sorted(refused))), refused)
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
                time=now, actor=migration.actor_id, transition=MIGRATION_STEP,
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


def migrating(record):
    """Is a move to a newer version of ``record`` still under way?"""
    return getattr(record, 'migration', None) is not None and not record.migration.finished


def publish_correction(record, source, guards, comment):
    """An evolve step's correction of a stored definition: publish
    ``source`` (the current version with the fix) as the next version,
    its objects kept in their states (the history names 'system'), and
    move them all now.  A ``source`` the validator refuses (``guards``:
    the registered ones) is not published: nothing changes; False."""
    workflow = loads(source)
    if problems(workflow, guards):
        return False
    publish_with_migration(record, source, workflow, {}, 'system', comment)
    while run_batch(record):
        pass
    return True
