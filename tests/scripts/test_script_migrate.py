"""minorconsent-migrate refuses a stored migration that would move
documents past a guard (``map.sent=active``, written before the publish
page refused it): nothing moves, the reason is on stderr, exit code 1."""
import tomli_w

from minorconsent.scripts import migrate, seed
from minorconsent.workflow.definition import to_data
from minorconsent.workflow.editor import rename_state
from minorconsent.workflow.migrate import Migration

from scripthelpers import open_db, run
from scripthelpers import site  # noqa: F401  (fixtures)


def consent_states(clinic):
    return {a.__name__: a.state for client in clinic['clients'].values()
            if 'agreements' in client for a in client['agreements'].values()
            if a.kind == 'consent'}


def test_a_stored_move_into_active_is_refused(site):
    assert run(seed, site.ini, '--quiet', '--clients', '0')[0] == 0
    with open_db(site, commit=True) as (root, clinic):
        record = clinic['workflows']['consent-to-treatment']
        before = consent_states(clinic)
        assert 'sent' in before.values()
        # A version without "sent", its documents mapped straight to "active".
        data = to_data(record.definition())
        rename_state(data, 'sent', 'waiting')
        old = record.current
        record.publish(tomli_w.dumps(data))
        record.migration = Migration(old, record.current, {'sent': 'active', 'active': 'active'},
                                     'system', '', sum(record.population().values()))
    code, out, err = run(migrate, site.ini, '--quiet')
    assert code == 1
    assert '"active" activates consent' in err
    with open_db(site) as (root, clinic):
        assert consent_states(clinic) == before
        assert not clinic['workflows']['consent-to-treatment'].migration.finished
