"""The agreements room's evolve steps (``site.evolve``: named, run once per
database, in name order).  The step names are recorded in every database
that ran them: never rename one."""
import tomllib
from importlib.resources import files

import tomli_w
from BTrees.OOBTree import OOBTree

from minorconsent.workflow import workflow_guards
from minorconsent.workflow.migrate import migrating, publish_correction

from .invitations import Invitations
from .kinds import KIND_CONTENT_TYPES, AgreementKinds
from .model import KINDS, Agreement, AgreementTemplate, AgreementTemplates
from .validity import index_period

#: The step of each agreement workflow that sends it out.
SENDING_STEPS = {'consent-to-treatment': 'send', 'confidentiality-agreement': 'propose',
                 'release-of-information': 'send'}
OLD_SEND_GUARD, SEND_GUARD = 'client_is_minor', 'consenting_party_may_consent'


def _add_templates(root, registry):
    root.add(AgreementTemplates(), 'agreement-templates')
    add_missing_templates(root, registry)


def _add_invitations(root, registry):
    root.invitations = Invitations()


def _template_folder_class(root, registry):
    """Databases built before AgreementTemplates existed held a plain Folder."""
    old = root['agreement-templates']
    if isinstance(old, AgreementTemplates):
        return
    root.remove('agreement-templates')
    new = AgreementTemplates()
    for kind in list(old.keys()):
        new.add(old.remove(kind), kind)
    root.add(new, 'agreement-templates')


def add_missing_templates(root, registry):
    """The shipped text of each kind the clinic has no template for yet."""
    folder = root['agreement-templates']
    texts = files(__package__) / 'texts'
    for kind in KINDS:
        if kind not in folder:
            folder.add(AgreementTemplate(kind, (texts / ('%s.txt' % kind)).read_text('utf-8')),
                       kind)


def with_send_guard(source, step):
    """``source`` (a stored definition's TOML) with ``SEND_GUARD`` in place
    of ``OLD_SEND_GUARD`` among the guards of ``step``, written back the
    way the workflow editor stores a draft (``tomllib`` in, ``tomli_w``
    out): read as TOML, not matched line by line, so any valid layout of
    the step gets the guard and nothing else changes (comments go, as with
    every edit the editor saves)."""
    data = tomllib.loads(source)
    for transition in data.get('transitions', ()):
        if transition.get('id') == step:
            transition['guards'] = [SEND_GUARD if g == OLD_SEND_GUARD else g
                                    for g in transition.get('guards', ())]
    return tomli_w.dumps(data)


def use_send_guard(root, registry):
    """Databases made before ``consenting_party_may_consent`` still name
    ``client_is_minor`` on the sending step, which made the client's own
    agreement unsendable at majority.  Publish a version of each such
    workflow with the new guard on that step and nothing else changed, and
    move its objects (no state changes; the history names 'system').  A
    clinic that replaced the guard, or is mid-migration, is left alone."""
    if 'workflows' not in root:
        return
    for wid, step in sorted(SENDING_STEPS.items()):
        record = root['workflows'].get(wid)
        if record is None or migrating(record):
            continue
        found = [t for t in record.definition().transitions if t.id == step]
        if not found or OLD_SEND_GUARD not in found[0].guards:
            continue
        publish_correction(record, with_send_guard(record.versions[record.current], step),
                           workflow_guards(registry),
                           'The sending step names consenting_party_may_consent.')


#: What the confidentiality agreement's family needs to decline it, as the
#: shipped definition (``workflows/confidentiality-agreement.toml``) has it:
#: the same state and step as the consent to treatment's.
DECLINED_STATE = {
    'title': 'Declined', 'description': 'A guardian declined to sign.',
    'permissions': {'therapist': ['view'], 'supervisor': ['view'],
                    'guardian': ['view-published']}}
DECLINE_STEP = {'id': 'decline', 'title': 'Decline', 'from': ['proposed'], 'to': 'declined',
                'roles': ['guardian'], 'guards': ['consenting_guardian']}


def with_decline(source):
    """``source`` (a stored confidentiality definition's TOML) with the
    ``declined`` state and the ``decline`` step added, written back as
    ``with_send_guard`` does; a definition that already has either is
    returned unchanged."""
    data = tomllib.loads(source)
    states = data.setdefault('states', {})
    transitions = data.setdefault('transitions', [])
    if 'declined' in states or any(t.get('id') == 'decline' for t in transitions):
        return source
    states['declined'] = DECLINED_STATE
    # After the step that activates it, as in the shipped file.
    at = next((i + 1 for i, t in enumerate(transitions) if t.get('id') == 'activate'),
              len(transitions))
    transitions.insert(at, dict(DECLINE_STEP))
    return tomli_w.dumps(data)


def confidentiality_decline(root, registry):
    """Databases made before a family could decline the confidentiality
    agreement keep a published definition without the step, so the family
    page offered no Decline on it (issue 16, item 6).  Publish a version of
    the stored definition with the ``declined`` state and the ``decline``
    step added and nothing else changed, and move its objects (no state
    changes; the history names 'system').  A clinic whose definition has
    a ``declined`` state or a ``decline`` step of its own, or whose
    definition is mid-migration, is left alone, as is a correction the
    validator would refuse (a clinic's own changes in the way)."""
    if 'workflows' not in root:
        return
    record = root['workflows'].get('confidentiality-agreement')
    if record is None or migrating(record):
        return
    source = record.versions[record.current]
    corrected = with_decline(source)
    if corrected is source:
        return
    publish_correction(record, corrected, workflow_guards(registry),
                       'The family may decline the confidentiality agreement.')


#: The state and step an agreement's period ends with (``periods``), as the
#: shipped definitions have them.
EXPIRED_STATE = {
    'title': 'Expired', 'description': "The agreement's period ended.",
    'permissions': {'therapist': ['view'], 'supervisor': ['view'],
                    'guardian': ['view-published'], 'adolescent': ['view-published']}}
EXPIRE_STEP = {'id': 'expire', 'title': 'Expire', 'from': ['active'], 'to': 'expired',
               'roles': ['system', 'therapist']}
FAMILY_READS = {'guardian': ['view-published'], 'adolescent': ['view-published']}


def with_expiry(source):
    """``source`` (a stored consent or confidentiality definition's TOML)
    with an ``expired`` state the family may read and an ``expire`` step
    from ``active`` the system may take, written back as
    ``with_send_guard`` does; what is there already is kept, and a
    definition needing nothing is returned unchanged.  An ``expired``
    state without any family grant gets the family's reading: before
    periods the family could be granted nothing there, so it was nobody's
    choice (an admin may remove it again, which ends the grace)."""
    data = tomllib.loads(source)
    states = data.setdefault('states', {})
    transitions = data.setdefault('transitions', [])
    changed = False
    if 'expired' not in states:
        states['expired'] = dict(EXPIRED_STATE)
        changed = True
    else:
        permissions = states['expired'].setdefault('permissions', {})
        if not any(permissions.get(role) for role in FAMILY_READS):
            permissions.update({k: list(v) for k, v in FAMILY_READS.items()})
            changed = True
    if not any(t.get('id') == 'expire' for t in transitions):
        transitions.append(dict(EXPIRE_STEP))
        changed = True
    return tomli_w.dumps(data) if changed else source


def agreement_expiry(root, registry):
    """Databases made before agreements had periods: the consent's and the
    confidentiality agreement's stored definitions (the clinic's own of
    those content types too) get the ``expired`` state the family reads
    and the system's ``expire`` step (issue 17 item 3), published as a
    new version with nothing else changed, objects kept in their states.
    A definition mid-migration, or whose correction the validator would
    refuse (the clinic's own changes in the way), is left alone."""
    if 'workflows' not in root:
        return
    for wid, record in sorted(root['workflows'].items()):
        if migrating(record) or record.definition().content_type not in (
                'consent', 'confidentiality'):
            continue
        source = record.versions[record.current]
        corrected = with_expiry(source)
        if corrected is not source:
            publish_correction(record, corrected, workflow_guards(registry),
                               'An agreement expires at the end of its period.')


def add_kinds(root, registry):
    """The clinic's kinds of agreement (``kinds``): the three built-in
    ones, none of the clinic's own yet.  A clinic that has the store keeps
    it."""
    if getattr(root, 'agreement_kinds', None) is None:
        root.agreement_kinds = AgreementKinds()


def period_ends(root, registry):
    """Databases made before the index of period ends (issue 17): build
    ``root.period_ends`` from the agreements in force in the workflow
    index, as ``validity.start_period`` would have written it, so the
    daily job's renewals and expiries find every one of them."""
    root.period_ends = OOBTree()
    if 'workflows' not in root:
        return
    for obj in root['workflows'].members_in(('active',), KIND_CONTENT_TYPES):
        if isinstance(obj, Agreement):
            index_period(obj, root)


def includeme(config):
    config.add_evolve_step('0006-agreements-templates', _add_templates)
    config.add_evolve_step('0007-agreements-invitations', _add_invitations)
    config.add_evolve_step('0008-agreements-template-folder-class', _template_folder_class)
    config.add_evolve_step('0010-agreements-new-templates', add_missing_templates)
    config.add_evolve_step('0012-agreements-send-guard', use_send_guard)
    config.add_evolve_step('0029-agreements-confidentiality-decline', confidentiality_decline)
    config.add_evolve_step('0030-agreements-clinic-kinds', add_kinds)
    config.add_evolve_step('0031-agreements-period-expiry', agreement_expiry)
    config.add_evolve_step('0043-agreements-period-ends', period_ends)
