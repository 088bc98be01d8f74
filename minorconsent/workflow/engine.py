"""The workflow engine: state, who may fire what, firing, and the ACL.

Content that runs under a workflow mixes in ``Workflowed`` and says who
holds which *local role* on it (``workflow_local_roles``).  The engine then

* answers what a person may do on the object from the roles they hold on
  it and its state's permission map (``permissions_for``, which the
  security policy asks, so views use ordinary Pyramid permissions and a
  state change needs no security sweep), and builds the same answer as an
  ACL for Pyramid's own questions (``acl_for``);
* lists the transitions an actor may fire now (role or permission, and
  every named guard);
* fires a transition, appending to the object's append-only history.

Family members (guardian, adolescent) never receive a permission outside
``ROLE_FAMILY_PERMISSIONS``, nor in a state their room did not declare
family-visible (``config.declare_family_states``), whatever a definition
says: the validator refuses such a definition and ``role_permissions``,
which both ``permissions_for`` and ``acl_for`` ask, drops the grant again.
"""
from dataclasses import dataclass
from datetime import date

from pyramid.authorization import DENY_ALL, Allow
from pyramid.interfaces import ISecurityPolicy
from pyramid.threadlocal import get_current_registry

from minorconsent.audit.recorder import note
from minorconsent.site import find_clinic
from minorconsent.site.clock import utcnow
from minorconsent.site.folder import new_id
from minorconsent.site.memo import per_transaction

from .events import AfterTransition, Started
from .guards import GuardContext
from .history import History, HistoryEntry
from .requirements import declared_family_states, declared_guards
from .validate import FAMILY_ROLES, ROLE_FAMILY_PERMISSIONS

SYSTEM = 'system'


class WorkflowError(Exception):
    """A transition that may not happen now; the message says why."""


@dataclass(frozen=True)
class Actor:
    """Who fires a transition: a user id and their principals, or the system."""
    id: str
    principals: tuple = ()

    @classmethod
    def system(cls):
        return cls(SYSTEM, (SYSTEM,))

    @classmethod
    def from_request(cls, request):
        policy = request.registry.getUtility(ISecurityPolicy)
        return cls(request.authenticated_userid,
                   tuple(policy.effective_principals(request)))


class Workflowed:
    """Mixin for persistent content governed by a workflow."""

    workflow_id = None
    workflow_version = None
    state = None

    def workflow_local_roles(self):
        """``{principal: {role, ...}}`` of the people linked to this object."""
        raise NotImplementedError

    def workflow_client(self):
        """The minor this object is about (for guards), or None."""
        return None

    @property
    def __acl__(self):
        return acl_for(self)


def workflow_record(obj):
    return find_clinic(obj)['workflows'][obj.workflow_id]


def definition_of(obj):
    return workflow_record(obj).definition(obj.workflow_version)


def acl_for(obj):
    """The ACL of ``obj`` in its current state, ending in DENY_ALL.

    Pyramid's own questions (``principals_allowed_by_permission``, a view
    without our policy) walk it; the app's policy asks ``permissions_for``
    (and the app's code ``permits``), which give the same answer without
    building it (a property test holds them together:
    tests/workflow/test_direct_permissions.py).  Built once per document
    and transaction while nothing is written (``site.memo``).
    """
    if getattr(obj, '_p_jar', None) is None:
        return _acl_for(obj)
    return per_transaction(obj, 'acl', (date.today(),), lambda: _acl_for(obj))


def _acl_for(obj):
    workflow = definition_of(obj)
    state = workflow.state(obj.state)
    acl = []
    for principal, roles in sorted(local_roles_of(obj).items()):
        granted = set()
        for role in roles:
            granted |= role_permissions(workflow, state, role)
        if granted:
            acl.append((Allow, principal, tuple(sorted(granted))))
    acl.append(DENY_ALL)
    return acl


def permits(obj, principals, permission):
    """Do ``principals`` hold ``permission`` on the workflowed ``obj`` now?
    What code outside a view asks (the parent view, signer lists, mail):
    the policy's answer, from the roles, without an ACL."""
    return permission in permissions_for(obj, principals)


def permissions_for(obj, principals):
    """The permissions ``principals`` hold on ``obj`` in its state now.

    The same answer as walking ``acl_for(obj)`` (Allow entries, then
    DENY_ALL), computed from the roles these principals hold on the object
    and remembered for them while the transaction has written nothing: a
    family page asks a dozen questions of its documents for one person.
    """
    principals = tuple(principals)
    if getattr(obj, '_p_jar', None) is None:
        return _permissions_for(obj, principals)
    return per_transaction(obj, 'permissions', (date.today(), principals),
                           lambda: _permissions_for(obj, principals))


def _permissions_for(obj, principals):
    held = local_roles_of(obj)
    roles = set()
    for principal in principals:
        roles |= held.get(principal, frozenset())
    if not roles:
        return frozenset()
    workflow = definition_of(obj)
    state = workflow.state(obj.state)
    granted = set()
    for role in roles:
        granted |= role_permissions(workflow, state, role)
    return frozenset(granted)


def local_roles_of(obj):
    """``obj.workflow_local_roles()`` as ``{principal: frozenset(roles)}``,
    computed once per document and transaction while it has written
    nothing (``site.memo``): the people linked to a client cannot change
    within a read."""
    def compute():
        return {principal: frozenset(roles)
                for principal, roles in obj.workflow_local_roles().items() if roles}
    if getattr(obj, '_p_jar', None) is None:
        return compute()
    return per_transaction(obj, 'local_roles', (date.today(),), compute)


def role_permissions(workflow, state, role):
    """What ``role`` may do in ``state`` of ``workflow``: the state's map,
    but for a family role only what ``ROLE_FAMILY_PERMISSIONS`` allows and
    only in the states the owning room declared family-visible, whatever
    the definition says (a stored definition published before a rule
    existed cannot widen them either).  Both permission paths ask this."""
    granted = set(state.granted(role))
    if role in FAMILY_ROLES and granted:
        granted &= ROLE_FAMILY_PERMISSIONS[role]
        if state.id not in declared_family_states(workflow.content_type)[role]:
            granted = set()
    return granted


def _entry(workflow, actor_id, transition, from_state, to_state, comment, now):
    return HistoryEntry(
        time=now, actor=actor_id,
        transition=transition.id if transition else '',
        transition_title=transition.title if transition else 'Created',
        from_state=from_state.id if from_state else '',
        from_title=from_state.title if from_state else '',
        to_state=to_state.id, to_title=to_state.title, comment=comment,
        workflow_id=workflow.id, version=workflow.version)


def start(obj, workflow_id, actor_id=SYSTEM, now=None, registry=None, announce=True):
    """Put a new object (already in the tree) in the current version of
    ``workflow_id``, at its initial state.

    Then notify ``Started`` through ``registry`` (the current one if none
    is given), as ``fire`` notifies ``AfterTransition``: an initial state
    may already wait for someone (a disclosure awaiting the supervisor's
    sign-off), and its subscribers tell them in the same transaction."""
    record = find_clinic(obj)['workflows'][workflow_id]
    workflow = record.definition()
    initial = workflow.state(workflow.initial_state)
    obj.workflow_id = workflow.id
    obj.workflow_version = workflow.version
    obj.workflow_key = new_id(12)
    obj.state = initial.id
    obj.history = History()
    now = now or utcnow()
    obj.history.append(_entry(workflow, actor_id, None, None, initial, '', now))
    record.enter(obj)
    note(obj, 'workflow.start', actor=actor_id,
         detail='%s v%s: %s' % (workflow.id, workflow.version, initial.id))
    registry = registry or get_current_registry()
    registry.notify(Started(obj, workflow, initial.id, actor_id, now, registry, announce))


def actor_roles(obj, actor):
    """The local roles ``actor`` holds on ``obj`` (and 'system' for the system)."""
    if actor.id == SYSTEM:
        return {SYSTEM}
    roles = set()
    for principal, held in obj.workflow_local_roles().items():
        if principal in actor.principals:
            roles |= set(held)
    return roles


def guard_context(obj, actor, today=None):
    client = obj.workflow_client()
    return GuardContext(obj=obj, client=client, settings=find_clinic(obj).settings,
                        actor_id=actor.id, today=today or date.today())


def _may_fire(workflow, obj, transition, actor, roles, guards, ctx):
    by_role = bool(set(transition.roles) & roles)
    by_permission = bool(transition.permission) and actor.id != SYSTEM and bool(
        permits(obj, actor.principals, transition.permission))
    if not (by_role or by_permission):
        return False
    # The definition's guards, and again those the rooms rely on: a stored
    # definition that lost one (published before the validator asked for
    # it) still cannot activate a consent on one signature.  A guard that is
    # not registered fails closed.
    names = set(transition.guards) | declared_guards(workflow, transition)
    return all(name in guards and guards[name](ctx) for name in sorted(names))


def available(obj, actor, guards, today=None):
    """The transitions ``actor`` may fire on ``obj`` right now."""
    workflow = definition_of(obj)
    roles = actor_roles(obj, actor)
    ctx = guard_context(obj, actor, today)
    return [t for t in workflow.transitions_from(obj.state)
            if _may_fire(workflow, obj, t, actor, roles, guards, ctx)]


def fire(obj, transition_id, actor, guards, comment='', now=None, today=None,
         registry=None, announce=True):
    """Fire ``transition_id`` on ``obj`` as ``actor``; return the new state.

    Then notify ``AfterTransition`` through ``registry`` (the current one
    if none is given): the rooms' subscribers do what the step sets off,
    in the same transaction.  ``announce=False`` replays a step without
    telling anyone (the demo seed writes history, it mails no family)."""
    workflow = definition_of(obj)
    try:
        transition = workflow.transition(transition_id)
    except KeyError:
        raise WorkflowError('There is no step "%s" in this workflow.' % transition_id) from None
    if obj.state not in transition.from_states:
        raise WorkflowError('"%s" cannot be done from "%s".'
                            % (transition.title, workflow.state(obj.state).title))
    ctx = guard_context(obj, actor, today)
    if not _may_fire(workflow, obj, transition, actor, actor_roles(obj, actor), guards, ctx):
        raise WorkflowError('You may not "%s" now.' % transition.title)
    comment = (comment or '').strip()
    if transition.comment_required and not comment:
        raise WorkflowError('"%s" needs a comment.' % transition.title)
    before, after = workflow.state(obj.state), workflow.state(transition.to_state)
    record = workflow_record(obj)
    record.leave(obj)
    obj.state = after.id
    record.enter(obj)
    now = now or utcnow()
    obj.history.append(_entry(workflow, actor.id, transition, before, after, comment, now))
    # The comment stays in the object's history: it may be clinical.
    note(obj, 'workflow.transition', actor=actor.id,
         detail='%s v%s: %s -> %s (%s)' % (workflow.id, workflow.version, before.id,
                                          after.id, transition.id))
    registry = registry or get_current_registry()
    registry.notify(AfterTransition(obj, transition, before.id, after.id, actor, comment, now,
                                    registry, announce))
    return after
