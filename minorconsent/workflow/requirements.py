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

Which states a family role may read or act in is declared the same way, by
the room that owns the content type, not by a definition's permission map::

    config.declare_family_states(
        'summary', 'guardians read a summary only once it is published',
        guardian=('published',), adolescent=('minor_review', 'published'))

The validator refuses a family grant in any other state (naming the state,
the role and the reason), and the engine drops such a grant again when it
computes an ACL, so a definition can narrow what a family sees, never
widen it.  A content type without a declaration is family-visible in no
state at all.
"""
from dataclasses import dataclass, replace

from pyramid.exceptions import ConfigurationError
from pyramid.threadlocal import get_current_registry

from .vocabulary import CONTENT_TYPES, FAMILY, FAMILY_ROLES, ID, SIGNATURE_GUARD, \
    declares_family_states, family_states

# Where the configurator keeps the rooms' declarations.
REQUIREMENTS_KEY = 'minorconsent.workflow_requirements'

STEP, STATE = 'step', 'state'
__all__ = ['FAMILY', 'REQUIREMENTS_KEY', 'STATE', 'STEP', 'Requirement', 'declared_family_states',
           'declared_guards', 'declares_family_states', 'family_states', 'family_requirement',
           'merged', 'of_content_type', 'requirement']


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
    kind: str                  # STEP, STATE or FAMILY (then ``id`` is the family role)
    id: str
    reasons: tuple             # plain words, one per declaration
    from_states: tuple = ()
    to_state: str = ''
    from_initial: bool = False
    #: FAMILY only: the states in which that role may hold a permission.
    states: tuple = ()
    #: STEP: the guards the step must name.  STATE: the guards every step
    #: into the state must name -- except a step only ``exempt_roles`` may
    #: take (a supervisor's sign-off needs no "no supervisor" guard).
    guards: tuple = ()
    exempt_roles: tuple = ()
    #: STATE only: the code reads the state as "in force", so it must be
    #: flagged ``activates_consent`` (and the signature guard then stands on
    #: every way into it).
    activates_consent: bool = False

    @property
    def key(self):
        return (self.content_type, self.kind, self.id)

    @property
    def reason(self):
        return '; '.join(self.reasons)


def requirement(content_type, kind, item_id, reason, from_states=(), to_state='',
                from_initial=False, guards=(), exempt_roles=(), activates_consent=False):
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
    if kind == STEP and (exempt_roles or activates_consent):
        raise ConfigurationError('%s: only a state activates consent or exempts roles.' % where)
    guards, exempt_roles = _ids(guards, where), _ids(exempt_roles, where)
    if exempt_roles and not guards:
        raise ConfigurationError('%s: exempt roles without guards.' % where)
    return Requirement(content_type, kind, item_id, (reason,),
                       tuple(sorted(set(from_states))), to_state, bool(from_initial),
                       guards=guards, exempt_roles=exempt_roles,
                       activates_consent=bool(activates_consent))


def _ids(names, where):
    if isinstance(names, str):
        names = (names,)
    for name in names:
        if not isinstance(name, str) or not ID.match(name):
            raise ConfigurationError('%s: "%s" is not a valid id.' % (where, name))
    return tuple(sorted(set(names)))


def family_requirement(content_type, role, states, reason):
    """A checked FAMILY ``Requirement``: ``role`` may read or act in
    ``states`` of ``content_type``'s workflow, and in no other."""
    where = 'Family states of "%s" for "%s"' % (content_type, role)
    if content_type not in CONTENT_TYPES:
        raise ConfigurationError('%s: unknown content type (use one of: %s).'
                                 % (where, ', '.join(sorted(CONTENT_TYPES))))
    if role not in FAMILY_ROLES:
        raise ConfigurationError('%s: "%s" is not a family role (use %s).'
                                 % (where, role, ', '.join(FAMILY_ROLES)))
    if isinstance(states, str):
        states = (states,)
    for sid in states:
        if not isinstance(sid, str) or not ID.match(sid):
            raise ConfigurationError('%s: "%s" is not a valid id.' % (where, sid))
    reason = ' '.join((reason or '').split()).rstrip('.')
    if not reason:
        raise ConfigurationError('%s needs a reason in plain words.' % where)
    return Requirement(content_type, FAMILY, role, (reason,), states=tuple(sorted(set(states))))


def merged(old, new):
    """One requirement from two declarations of the same id."""
    if old.kind == FAMILY and old.states != new.states:
        raise ConfigurationError(
            'The family states of "%s" for "%s" are declared twice, differently (%s; %s).'
            % (old.content_type, old.id, ', '.join(old.states) or 'none',
               ', '.join(new.states) or 'none'))
    if old.to_state and new.to_state and old.to_state != new.to_state:
        raise ConfigurationError(
            'The step "%s" of "%s" is required to go to "%s" and to "%s".'
            % (old.id, old.content_type, old.to_state, new.to_state))
    reasons = old.reasons + tuple(r for r in new.reasons if r not in old.reasons)
    # Guards add up; a role is exempt only if every declaration naming
    # guards exempts it.
    if old.guards and new.guards:
        exempt = tuple(sorted(set(old.exempt_roles) & set(new.exempt_roles)))
    else:
        exempt = old.exempt_roles or new.exempt_roles
    return replace(old, reasons=reasons, guards=tuple(sorted(set(old.guards) | set(new.guards))),
                   exempt_roles=exempt,
                   activates_consent=old.activates_consent or new.activates_consent,
                   from_states=tuple(sorted(set(old.from_states) | set(new.from_states))),
                   to_state=old.to_state or new.to_state,
                   from_initial=old.from_initial or new.from_initial)


def of_content_type(requirements, content_type):
    """The requirements that apply to a definition of ``content_type``."""
    return [r for r in requirements if r.content_type == content_type]


def declared_family_states(content_type, registry=None):
    """``{role: frozenset(states)}`` the rooms declared for
    ``content_type`` (``registry``: the current one by default; without
    the app's declarations, no state at all: fail closed)."""
    if registry is None:
        registry = get_current_registry()
    found = registry.get(REQUIREMENTS_KEY, {})
    return family_states(
        [r for r in (found.get((content_type, FAMILY, role)) for role in FAMILY_ROLES) if r],
        content_type)


def declared_guards(workflow, transition, registry=None):
    """The guards the rooms declared for ``transition`` of ``workflow``,
    whatever the definition names: a required step's own guards, the
    guards every step into its target state must name (unless only the
    declaration's exempt roles may take the step), and the signature
    guard into a state that is, or that the code reads as, in force.

    The validator refuses a definition without them; the engine checks
    them again when a step fires, so a definition stored before a rule
    (or written into the database) cannot skip a check the code relies on.
    Without the app's declarations (no configured registry) the signature
    guard still stands on a consent-activating state."""
    if registry is None:
        registry = get_current_registry()
    found = registry.get(REQUIREMENTS_KEY, {})
    ctype, target = workflow.content_type, transition.to_state
    guards = set()
    step = found.get((ctype, STEP, transition.id))
    if step is not None:
        guards |= set(step.guards)
    state = found.get((ctype, STATE, target))
    if state is not None and not (transition.roles and not transition.permission and
                                  set(transition.roles) <= set(state.exempt_roles)):
        guards |= set(state.guards)
    in_force = state is not None and state.activates_consent
    if in_force or (workflow.has_state(target) and workflow.state(target).activates_consent):
        guards.add(SIGNATURE_GUARD)
    return guards
