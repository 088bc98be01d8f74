"""Clinics made before the adolescent's review could block publishing get
the guard by an evolve step; the guard fails closed on other objects."""
from types import SimpleNamespace

from minorconsent.summaries import minor_agreed_if_reviewed
from minorconsent.summaries.evolve import use_publish_guard, with_publish_guard
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


def test_the_guard_is_added_by_reading_the_stored_definition_as_toml(clinic):
    """The step edits the stored definition as data: whatever its layout
    (the shipped file's, or the editor's one-guard-per-line), the publish
    step gets the guard first, its other guards kept, and nothing else of
    the definition changes."""
    import tomllib

    import tomli_w
    with clinic() as c:
        record = c['workflows']['parent-summary']
        stored = record.versions[record.current]
    before = tomllib.loads(stored)
    (publish,) = [t for t in before['transitions'] if t['id'] == 'publish']
    for layout in (stored.replace('guards = ["minor_agreed_if_reviewed"]', ''),
                   stored.replace('guards = ["minor_agreed_if_reviewed"]',
                                  'guards = ["client_has_own_account"]'),
                   tomli_w.dumps(dict(before, transitions=[
                       dict(t, guards=['client_has_own_account']) if t['id'] == 'publish'
                       else t for t in before['transitions']]))):
        old = tomllib.loads(layout)
        after = tomllib.loads(with_publish_guard(layout))
        (step,) = [t for t in after['transitions'] if t['id'] == 'publish']
        assert step['guards'] == ['minor_agreed_if_reviewed'] + [
            g for g in next(t for t in old['transitions'] if t['id'] == 'publish').get(
                'guards', [])]
        # Everything else as it was.
        assert dict(after, transitions=None) == dict(old, transitions=None)
        assert [t for t in after['transitions'] if t['id'] != 'publish'] == \
            [t for t in old['transitions'] if t['id'] != 'publish']
        assert {k: v for k, v in step.items() if k != 'guards'} == \
            {k: v for k, v in publish.items() if k != 'guards'}
        assert loads(with_publish_guard(layout)).id == 'parent-summary'
    # The shipped layout with the guard already there: unchanged as data.
    assert tomllib.loads(with_publish_guard(stored)) == before
