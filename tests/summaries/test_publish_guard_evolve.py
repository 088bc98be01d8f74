"""Clinics made before the adolescent's review could block publishing get
the guard by an evolve step; the guard fails closed on other objects."""
from types import SimpleNamespace

from minorconsent.summaries import minor_agreed_if_reviewed, use_publish_guard
from minorconsent.workflow.definition import loads
from minorconsent.workflow.migrate import publish_with_migration, run_batch


def _publish_step(record):
    (step,) = [t for t in record.definition().transitions if t.id == 'publish']
    return step


def test_an_older_database_gets_the_publish_guard(app, clinic, demo):
    with clinic() as c:
        record = c['workflows']['parent-summary']
        old = record.versions[record.current].replace(
            'guards = ["minor_agreed_if_reviewed"]', '')
        assert 'minor_agreed_if_reviewed' not in old.split('id = "publish"')[1].split(
            '[[transitions]]')[0]
        publish_with_migration(record, old, loads(old), {}, 'system')
        while run_batch(record):
            pass
        assert _publish_step(record).guards == ()
        use_publish_guard(c, app.registry)
        assert _publish_step(record).guards == ('minor_agreed_if_reviewed',)
        assert record.migration.finished
        summaries = c['clients'][demo.mateo]['summaries'].values()
        assert {s.workflow_version for s in summaries} == {record.current}
        assert 'published' in {s.state for s in summaries}
        # Run again: nothing left to change.
        current = record.current
        use_publish_guard(c, app.registry)
        assert record.current == current


def test_the_guard_fails_closed_on_other_objects():
    assert minor_agreed_if_reviewed(SimpleNamespace(obj=object())) is False
