"""The summaries room's evolve steps (``site.evolve``: named, run once per
database, in name order).  The step names are recorded in every database
that ran them: never rename one."""
import tomllib

import tomli_w

from minorconsent.workflow import workflow_guards
from minorconsent.workflow.migrate import migrating, publish_correction

PUBLISH_GUARD = 'minor_agreed_if_reviewed'


def with_publish_guard(source):
    """``source`` (a stored definition's TOML) with ``PUBLISH_GUARD`` first
    among the guards of its ``publish`` step, written back the way the
    workflow editor stores a draft (``tomllib`` in, ``tomli_w`` out): the
    definition is read as TOML, not matched line by line, so any valid
    layout of the step (inline arrays, one guard per line, keys in any
    order) gets the guard and nothing else changes (comments go, as with
    every edit the editor saves)."""
    data = tomllib.loads(source)
    for step in data.get('transitions', ()):
        if step.get('id') == 'publish':
            step['guards'] = [PUBLISH_GUARD] + [g for g in step.get('guards', ())
                                                if g != PUBLISH_GUARD]
    return tomli_w.dumps(data)


def use_publish_guard(root, registry):
    """Databases made before ``minor_agreed_if_reviewed`` publish from a
    draft without it, so a therapist could publish over the adolescent's
    objection.  Publish a version of the summary workflow with the guard on
    that step and nothing else changed, and move its summaries (no state
    changes; the history names 'system').  A clinic mid-migration, or whose
    publishing step already names the guard or no longer starts from a
    draft, is left alone."""
    record = root['workflows'].get('parent-summary') if 'workflows' in root else None
    if record is None or migrating(record):
        return
    found = [t for t in record.definition().transitions if t.id == 'publish']
    if not found or PUBLISH_GUARD in found[0].guards or 'draft' not in found[0].from_states:
        return
    publish_correction(record, with_publish_guard(record.versions[record.current]),
                       workflow_guards(registry),
                       'Publishing from a draft names minor_agreed_if_reviewed.')


def includeme(config):
    config.add_evolve_step('0014-summaries-publish-guard', use_publish_guard)
