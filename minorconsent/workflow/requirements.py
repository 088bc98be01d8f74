"""The step and state ids the code relies on, declared by the rooms.

A definition is data an admin edits, but some of its ids are not free: the
code fires some steps by id (the system activates a consent with
``activate``; the client's "ask for changes" fires ``return_to_draft``) and
reads some states by id (a consent counts only while ``active``).  Each room
declares those ids in its ``includeme``, with the reason in plain words::

    config.require_workflow_step(
        'consent', 'activate',
        'the system activates a consent when the last signature arrives',
        from_states=('sent',), to_state='active')
    config.require_workflow_state(
        'summary', 'published', 'guardians read only the summaries in it')

and the validator (``validate.problems``) refuses a definition of that
content type that lacks one -- at start-up, on import, when a draft is
saved as a file, and before publishing -- with the reason as its words.
Two rooms may declare the same id: their reasons are both given.
"""
from dataclasses import dataclass, replace

from pyramid.exceptions import ConfigurationError

from .validate import CONTENT_TYPES, ID

STEP, STATE = 'step', 'state'


@dataclass(frozen=True)
class Requirement:
    """One id of one content type's workflow that the code relies on.

    For a step, optionally where it must lead: ``from_states`` it must
    (at least) start from, the ``to_state`` it must go to, or
    ``from_initial``: it must start from the workflow's starting state
    (the code looks for it right after an object is created), needed only
    where objects can leave that state at all.
    """
    content_type: str
    kind: str                  # STEP or STATE
    id: str
    reasons: tuple             # plain words, one per declaration
    from_states: tuple = ()
    to_state: str = ''
    from_initial: bool = False

    @property
    def key(self):
        return (self.content_type, self.kind, self.id)

    @property
    def reason(self):
        return '; '.join(self.reasons)


def requirement(content_type, kind, item_id, reason, from_states=(), to_state='',
                from_initial=False):
    """A checked ``Requirement``; ``ConfigurationError`` for a bad declaration."""
    where = 'Workflow requirement %s "%s" of "%s"' % (kind, item_id, content_type)
    if content_type not in CONTENT_TYPES:
        raise ConfigurationError('%s: unknown content type (use one of: %s).'
                                 % (where, ', '.join(sorted(CONTENT_TYPES))))
    if isinstance(from_states, str):
        from_states = (from_states,)
    for sid in (item_id, *from_states, *([to_state] if to_state else [])):
        if not isinstance(sid, str) or not ID.match(sid):
            raise ConfigurationError('%s: "%s" is not a valid id.' % (where, sid))
    reason = ' '.join((reason or '').split()).rstrip('.')
    if not reason:
        raise ConfigurationError('%s needs a reason in plain words.' % where)
    if kind == STATE and (from_states or to_state or from_initial):
        raise ConfigurationError('%s: only a step has states to start from or go to.' % where)
    return Requirement(content_type, kind, item_id, (reason,),
                       tuple(sorted(set(from_states))), to_state, bool(from_initial))


def merged(old, new):
    """One requirement from two declarations of the same id."""
    if old.to_state and new.to_state and old.to_state != new.to_state:
        raise ConfigurationError(
            'The step "%s" of "%s" is required to go to "%s" and to "%s".'
            % (old.id, old.content_type, old.to_state, new.to_state))
    reasons = old.reasons + tuple(r for r in new.reasons if r not in old.reasons)
    return replace(old, reasons=reasons,
                   from_states=tuple(sorted(set(old.from_states) | set(new.from_states))),
                   to_state=old.to_state or new.to_state,
                   from_initial=old.from_initial or new.from_initial)


def of_content_type(requirements, content_type):
    """The requirements that apply to a definition of ``content_type``."""
    return [r for r in requirements if r.content_type == content_type]
