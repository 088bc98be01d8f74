"""minorconsent-api-client as an operator runs it (issue 19 item 1): a real
subprocess on a temporary clinic: ``add`` prints the new id alone on its
last line, ``list`` shows it, ``disable`` takes effect, every refusal is
one line on stderr with nothing written, and the changes are on the
audit trail by id."""
import json
import pathlib
import subprocess
import sys

import pytest
from ZODB import DB
from ZODB.FileStorage import FileStorage

from minorconsent.audit.chain import log_of

from api_support import new_key, public_jwks

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / 'scripts'))
from scripthelpers import make_site, open_db  # noqa: E402

SCRIPT = str(pathlib.Path(sys.executable).parent / 'minorconsent-api-client')


def api_client(site, *args):
    return subprocess.run([SCRIPT, site.ini, *args], capture_output=True, text=True,
                          timeout=120, cwd=str(site.dir))


@pytest.fixture
def site(tmp_path):
    return make_site(tmp_path / 'site')


def clients_of(site):
    with open_db(site) as (root, clinic):
        return {c.client_id: (c.name, c.scopes, c.enabled) for c in clinic.api_clients.values()}


def audit_actions(site):
    db = DB(FileStorage(str(site.dir / 'Audit.fs'), read_only=True))
    try:
        conn = db.open()
        log = log_of(conn.root(), create=False)
        entries = [log.get(seq) for seq in log.entries.keys()] if log is not None else []
        conn.close()
        return [(e['action'], e['target'], e['detail']) for e in entries]
    finally:
        db.close()


def test_add_list_disable(site, tmp_path):
    jwks = tmp_path / 'ehr.jwks.json'
    jwks.write_text(public_jwks(new_key('RS384'), new_key('ES384')))
    done = api_client(site, 'add', '--name', 'Clinic EHR', '--jwks', str(jwks),
                      '--scope', 'system/Consent.rs', '--scope', 'system/Goal.rs')
    assert done.returncode == 0, done.stderr
    client_id = done.stdout.strip().splitlines()[-1]
    assert clients_of(site) == {
        client_id: ('Clinic EHR', ('system/Consent.rs', 'system/Goal.rs'), True)}
    listed = api_client(site, 'list')
    assert listed.returncode == 0
    line, = listed.stdout.strip().splitlines()
    # Approved at once: the operator holds the database anyway.
    assert line.split()[:5] == [client_id, 'enabled', 'approved', 'system/Consent.rs',
                                'system/Goal.rs']
    assert line.endswith('Clinic EHR')
    done = api_client(site, 'disable', client_id)
    assert done.returncode == 0 and 'Disabled' in done.stdout
    assert clients_of(site)[client_id][2] is False
    assert 'disabled' in api_client(site, 'list').stdout
    actions = [a for a in audit_actions(site) if a[0].startswith('api.')]
    assert [a[:2] for a in actions] == [('api.client_registered', 'api-clients/' + client_id),
                                        ('api.client_disabled', 'api-clients/' + client_id)]
    assert all('Clinic EHR' not in a[2] for a in actions)


def test_refusals_are_one_line_and_write_nothing(site, tmp_path):
    good = tmp_path / 'good.json'
    good.write_text(public_jwks(new_key('ES384')))
    first = api_client(site, 'add', '--name', 'First', '--jwks', str(good),
                       '--scope', 'system/Patient.rs').stdout.strip().splitlines()[-1]
    private = tmp_path / 'private.json'
    private.write_text('{"keys": [%s]}' % json.dumps(
        new_key('ES384').as_dict(private=True)))
    done = api_client(site, 'add', '--name', 'X', '--jwks', str(private),
                      '--scope', 'system/Consent.rs')
    assert done.returncode == 2
    assert 'is a private key' in done.stderr and 'Nothing was written.' in done.stderr
    assert 'Traceback' not in done.stderr
    done = api_client(site, 'add', '--name', 'X', '--jwks', str(tmp_path / 'missing.json'),
                      '--scope', 'system/Consent.rs')
    assert done.returncode != 0 and 'cannot read' in done.stderr
    assert 'Traceback' not in done.stderr
    done = api_client(site, 'add', '--name', 'X', '--jwks', str(good), '--scope', 'user/*.*')
    assert done.returncode == 2 and 'invalid choice' in done.stderr
    done = api_client(site, 'disable', 'NoSuchClient')
    assert done.returncode == 2 and 'There is no API client' in done.stderr
    done = api_client(site, 'add', '--name', 'x' * 101, '--jwks', str(good),
                      '--scope', 'system/Goal.rs')
    assert done.returncode == 2 and 'A name of 1 to 100 characters.' in done.stderr
    assert list(clients_of(site)) == [first]


def test_help_names_the_commands(tmp_path):
    result = subprocess.run([SCRIPT, '--help'], capture_output=True, text=True, timeout=120,
                            cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('usage: minorconsent-api-client')
    assert 'config_uri' in result.stdout
    assert all(word in result.stdout for word in ('add', 'list', 'disable'))
    assert 'approved at once' in result.stdout


def test_add_help_says_the_client_is_approved_without_the_privacy_officer(tmp_path):
    result = subprocess.run([SCRIPT, 'x.ini', 'add', '--help'], capture_output=True,
                            text=True, timeout=120, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = ' '.join(result.stdout.split())
    assert 'approved at once' in text and "privacy officer's approval" in text
