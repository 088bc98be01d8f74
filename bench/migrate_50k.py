"""Benchmark: migrate 50,000 objects in flight to a new workflow version.

    .venv/bin/python bench/migrate_50k.py [--objects N] [--batch N]

Builds a FileStorage database in a temporary directory with N documents
under the parent-summary workflow (version 1, state "draft"), publishes a
version that renames "draft" to "writing", and runs the migration the way
``minorconsent-migrate`` does: one committed transaction per batch.  Prints
the time of the migration alone (the set-up is not counted).
"""
import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import tomli_w
import transaction
from persistent import Persistent
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.accounts import User, Users
from minorconsent.clients import Client, Clients
from minorconsent.security.sessions import SessionStore
from minorconsent.site import Clinic
from minorconsent.site.folder import Folder
from minorconsent.workflow import WorkflowRecord, WorkflowStore
from minorconsent.workflow.definition import loads, to_data
from minorconsent.workflow.editor import rename_state
from minorconsent.workflow.engine import Workflowed, start
from minorconsent.workflow.migrate import publish_with_migration, run_batch

REPO = Path(__file__).resolve().parent.parent


class BenchDoc(Workflowed, Persistent):
    def workflow_local_roles(self):
        return {}


def build(root, n):
    clinic = Clinic()
    clinic.add(Users(), 'users')
    clinic.add(Clients(), 'clients')
    clinic.sessions = SessionStore()
    store = WorkflowStore()
    clinic.add(store, 'workflows')
    source = (REPO / 'workflows' / 'parent-summary.toml').read_text()
    store.add(WorkflowRecord(source), 'parent-summary')
    therapist = User('t@demo.test', 'T', ['therapist'])
    clinic['users'].add_user(therapist)
    client = Client('Bench', 'Client', date(2014, 1, 1), [therapist.__name__])
    clinic['clients'].add_client(client)
    client.add(Folder(), 'docs')
    root['minorconsent'] = clinic
    for i in range(n):
        doc = BenchDoc()
        client['docs'].add(doc)
        start(doc, 'parent-summary')
        if i % 5000 == 4999:
            transaction.commit()
    transaction.commit()
    return store['parent-summary']


def renamed(record):
    data = to_data(record.definition())
    rename_state(data, 'draft', 'writing')
    source = tomli_w.dumps(data)
    return source, loads(source, version=2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--objects', type=int, default=50_000)
    parser.add_argument('--batch', type=int, default=1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        # The clinic database and its audit database, as the app opens them
        # (the migration writes its audit entries with each batch).
        db = DB(FileStorage(str(Path(tmp) / 'Data.fs')), databases={}, database_name='')
        DB(FileStorage(str(Path(tmp) / 'Audit.fs')), databases=db.databases,
           database_name='audit')
        conn = db.open()
        t0 = time.perf_counter()
        record = build(conn.root(), args.objects)
        setup = time.perf_counter() - t0
        source, new = renamed(record)
        t0 = time.perf_counter()
        publish_with_migration(record, source, new, {'draft': 'writing'}, 'bench')
        transaction.commit()
        batches = 0
        while run_batch(record, args.batch):
            transaction.commit()
            batches += 1
        transaction.commit()
        elapsed = time.perf_counter() - t0
        assert record.population() == {(2, 'writing'): args.objects}, record.population()
        conn.close()
        for each in list(db.databases.values()):
            each.close()
    print('objects=%d batch=%d batches=%d setup=%.1fs migration=%.1fs (%.0f objects/s)'
          % (args.objects, args.batch, batches, setup, elapsed, args.objects / elapsed))
    return 0


if __name__ == '__main__':
    sys.exit(main())
