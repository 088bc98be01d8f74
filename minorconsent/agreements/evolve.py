"""The agreements room's evolve steps (``site.evolve``: named, run once per
database, in name order).  The step names are recorded in every database
that ran them: never rename one."""
import tomllib
from importlib.resources import files

import tomli_w

from minorconsent.workflow import workflow_guards
from minorconsent.workflow.migrate import migrating, publish_correction

from .invitations import Invitations
from .model import KINDS, AgreementTemplate, AgreementTemplates

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


def includeme(config):
    config.add_evolve_step('0006-agreements-templates', _add_templates)
    config.add_evolve_step('0007-agreements-invitations', _add_invitations)
    config.add_evolve_step('0008-agreements-template-folder-class', _template_folder_class)
    config.add_evolve_step('0010-agreements-new-templates', add_missing_templates)
    config.add_evolve_step('0012-agreements-send-guard', use_send_guard)
