"""Migration of objects in flight, without HTTP: mapping, batches, resume."""
import pytest
import transaction
import tomli_w
from ZODB.MappingStorage import MappingStorage

from minorconsent.workflow.definition import loads, to_data
from minorconsent.workflow.editor import rename_state
from minorconsent.workflow.engine import start
from minorconsent.workflow.migrate import (MigrationError, plan, publish_with_migration,
                                           run_batch)

from test_definitions import shipped
from wfsupport import Doc, family_clinic
from support import multi_database


def renamed_draft(record):
    data = to_data(record.definition())
    rename_state(data, 'draft', 'writing')
    source = tomli_w.dumps(data)
    return source, loads(source, version=record.versions.maxKey() + 1)


def populate(n):
    clinic, client, people = family_clinic(shipped().values())
    for _ in range(n):
        doc = Doc()
        client['docs'].add(doc)
        start(doc, 'parent-summary')
    return clinic, clinic['workflows']['parent-summary']


def test_dry_run_counts_and_requires_a_mapping():
    clinic, record = populate(5)
    source, new = renamed_draft(record)
    assert plan(record, new) == [('draft', 5, None)]
    assert plan(record, new, {'draft': 'writing'}) == [('draft', 5, 'writing')]
    with pytest.raises(MigrationError, match='Choose a new state'):
        publish_with_migration(record, source, new, {}, 'admin')
    with pytest.raises(MigrationError, match='is not a state of the new version'):
        publish_with_migration(record, source, new, {'draft': 'limbo'}, 'admin')
    assert record.current == 1 and record.population() == {(1, 'draft'): 5}


def test_batches_move_everything_once():
    clinic, record = populate(25)
    source, new = renamed_draft(record)
    publish_with_migration(record, source, new, {'draft': 'writing'}, 'admin-id', 'why')
    assert [run_batch(record, 10) for _ in range(4)] == [10, 10, 5, 0]
    assert record.migration.finished and record.migration.moved() == 25
    assert record.population() == {(2, 'writing'): 25}
    for key in record.keys_in(2, 'writing'):
        entries = list(record.members[key].history)
        assert [e.transition for e in entries] == ['', 'migrate']


def test_interrupted_migration_resumes_without_double_moves():
    """A crash mid-batch rolls the batch back; the next run continues."""
    # With its audit database: a write never commits without its entry.
    db, _ = multi_database(MappingStorage(), MappingStorage())
    conn = db.open()
    clinic, record = populate(30)
    conn.root()['clinic'] = clinic
    transaction.commit()
    source, new = renamed_draft(record)
    publish_with_migration(record, source, new, {'draft': 'writing'}, 'admin-id')
    assert run_batch(record, 10) == 10
    transaction.commit()
    assert run_batch(record, 10) == 10
    transaction.abort()                      # the crash: this batch is lost
    record = conn.root()['clinic']['workflows']['parent-summary']
    assert record.population() == {(1, 'draft'): 20, (2, 'writing'): 10}
    while run_batch(record, 10):
        transaction.commit()
    transaction.commit()
    assert record.population() == {(2, 'writing'): 30}
    moves = [sum(1 for e in record.members[k].history if e.transition == 'migrate')
             for k in record.keys_in(2, 'writing')]
    assert moves == [1] * 30
    conn.close()
    db.close()


def test_kept_states_move_to_the_new_version_as_they_are():
    clinic, record = populate(2)
    data = to_data(record.definition())
    data['states']['draft']['title'] = 'Being written'
    source = tomli_w.dumps(data)
    publish_with_migration(record, source, loads(source, 2), {}, 'admin-id')
    run_batch(record)
    assert record.population() == {(2, 'draft'): 2}
    doc = record.members[record.keys_in(2, 'draft')[0]]
    assert doc.history.latest().to_title == 'Being written'
