"""Erasure forgets the clinic's own id of an imported client (issue 18,
review finding: erased clients came back).

The caseload import keeps ``clinic.caseload_ids`` (the clinic's own id ->
the app's id).  Erasing a client at the end of retention left its entry
there, so the next import of the clinic's file made the child again.  Now
the entry goes, and the ids the file (or an older export) may name it by
are kept in ``clinic.caseload_erased`` for the import to refuse.
"""
import pathlib
from datetime import date

from minorconsent.caseload.importer import Options, run_import
from minorconsent.caseload.store import external_ids, find_client
from minorconsent.clients.closing import close_case
from minorconsent.clients.retention import erase, erased_ids

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / 'docs' / 'caseload-example.csv'


def test_an_erased_client_leaves_the_own_id_index_and_is_remembered(clinic):
    with clinic() as c:
        run_import(c, str(EXAMPLE), Options(create_accounts=True), actor_id='system')
    with clinic() as c:
        client = find_client(c, 'C-1001')
        close_case(c, client, date.today(), 'Goals met', client.therapist_ids[0])
        kept = {own: cid for own, cid in external_ids(c).items() if own != 'c-1001'}
        assert kept
    with clinic() as c:
        cid = find_client(c, 'C-1001').__name__
        erase(c, c['clients'][cid])
    with clinic() as c:
        assert 'c-1001' not in external_ids(c) and find_client(c, 'C-1001') is None
        assert cid not in c['clients']
        assert 'C-1001' in erased_ids(c) and cid in erased_ids(c)
        assert 'C-1001' in c.caseload_erased
        # Every other client's entry is untouched.
        assert dict(external_ids(c).items()) == kept
        assert not set(kept) & set(erased_ids(c))


def test_a_client_added_in_the_app_is_remembered_by_the_app_id(clinic, demo):
    """The export writes the app's id for a client no import named: that id
    is what a later import of the export would bring back.  (The demo's
    named clients have own ids; Ava's is taken off to make her one added
    in the app.)"""
    with clinic() as c:
        ava = c['clients'][demo.ava]
        del external_ids(c)[ava.external_id.casefold()]
        ava.external_id = None
        before = dict(external_ids(c).items())
    with clinic() as c:
        erase(c, c['clients'][demo.ava])
    with clinic() as c:
        assert list(erased_ids(c)) == [demo.ava]
        assert dict(external_ids(c).items()) == before
