"""The random admin of ``tests/workflow_edits.py`` is not blind: its edits
get published, of every kind, and only as the app's check allows.

The URL fuzzer and the leak property publish one such edit before each of
their examples; this test makes sure that what they publish is a real
variety of definitions the validator accepts (not, say, title changes
only because everything else is refused), that a state map the publish
page would refuse is refused with nothing moved, and that every published
version is one the validator accepts.
"""
import os

from hypothesis import HealthCheck, given, settings
from ZODB.DemoStorage import DemoStorage

from minorconsent.workflow import workflow_guards, workflow_requirements
from minorconsent.workflow.validate import FAMILY_ROLES, problems
from support import clinic_of, multi_database
from workflow_edits import FALLBACK, SHIPPED, edits, publish_edit

EXAMPLES = int(os.environ.get('MINORCONSENT_WORKFLOW_EDIT_STATS', '200'))


def test_the_edits_reach_every_kind(app, demo):
    """Each example starts from the demo clinic, as in the fuzzer and the
    leak property."""
    seen, wishes, published = set(), [], []
    admin = demo.user_ids['admin']
    guards, required = workflow_guards(app.registry), workflow_requirements(app.registry)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(edit=edits())
    def run(edit):
        db, databases = multi_database(
            DemoStorage(base=app.db.storage, close_base_on_close=False),
            DemoStorage(base=app.db.databases['audit'].storage, close_base_on_close=False))
        try:
            with clinic_of(db, app.registry) as c:
                done = publish_edit(c, app.registry, edit, admin)
                record = c['workflows'][edit.workflow_id]
                assert done.version, 'every edit publishes a version'
                assert record.current == done.version
                assert not problems(record.definition(), guards, required)
                if done.accepted != (FALLBACK,):
                    published.append(edit.workflow_id)
                    seen.update(op[0] for op in done.accepted)
                    seen.update('family grant' for op in done.accepted
                                if op[0] == 'grant' and op[2] in FAMILY_ROLES and op[3])
                if done.mapping:
                    seen.add('state map')
                if done.wish_refused:
                    wishes.append(edit)
        finally:
            for each in databases.values():
                each.close()
    run()
    assert {'grant', 'family grant', 'add_state', 'add_step', 'edit_step', 'remove_step',
            'remove_state', 'replace_state', 'rename', 'state map'} <= seen, seen
    assert set(published) == set(SHIPPED), published
    assert len(published) > EXAMPLES // 2, len(published)
    assert wishes, 'no state map was ever refused'
