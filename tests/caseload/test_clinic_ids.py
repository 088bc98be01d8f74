"""Every client has the clinic's own id in the caseload (issue 18's round
trip, issue 19's Patient.identifier): the demo seed gives each one, and a
client added in the app is written with the app's own id, which imports
back onto that client instead of making a second one."""
import csv

from minorconsent.caseload.columns import NAMES, external_id, rows_for
from minorconsent.caseload.store import find_client
from minorconsent.clients import Client


def test_the_seed_gives_every_client_the_clinics_own_id(clinic):
    with clinic() as c:
        ids = {cid: getattr(client, 'external_id', None)
               for cid, client in c['clients'].items()}
        assert all(ids.values()) and len(set(ids.values())) == len(ids)
        assert all(value.startswith('DEMO-') for value in ids.values())
        for cid, value in ids.items():
            assert find_client(c, value).__name__ == cid


def test_a_client_added_in_the_app_round_trips_by_the_apps_own_id(clinic, demo, tmp_path,
                                                                     caseload_import):
    with clinic() as c:
        therapist = c['users'][demo.user_ids['therapist']]
        client = Client('Juniper', 'Okafor', c['clients'][demo.lucia].date_of_birth,
                        [therapist.__name__])
        c['clients'].add_client(client)
        cid = client.__name__
        assert external_id(client) == cid
        rows = rows_for(client, c['users'])
        before = len(c['clients'])
    path = tmp_path / 'one.csv'
    with open(path, 'w', encoding='utf-8', newline='') as f:
        writer = csv.DictWriter(f, NAMES)
        writer.writeheader()
        writer.writerows(rows)
    report = caseload_import(path)
    assert not report.problems and not report.changed, report.lines()
    with clinic() as c:
        assert len(c['clients']) == before
        # From now on the client is known by that id, as an imported one is.
        assert c['clients'][cid].external_id == cid
        assert find_client(c, cid).__name__ == cid
        # A client with an id of the clinic's is never found by the app's.
        mateo = c['clients'][demo.mateo]
        assert find_client(c, demo.mateo) is None
        assert find_client(c, mateo.external_id).__name__ == demo.mateo
    again = caseload_import(path)
    assert not again.changed, again.lines()
