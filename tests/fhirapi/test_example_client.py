"""docs/fhir-example-client.py as an integration engineer runs it (issue 19,
"Done when"): from a shell, against a real server (waitress on a free port,
the demo seed, ``minorconsent.public_url`` the server's own address), make a
key with the script, register its public key set on the admin's page, and
read the mother's son's active consents and published goals by the clinic's
own client id.  The output lists exactly that client's active agreements
and its published goals' guardian-facing text, and never the seed's
private marker; a wrong key is ``invalid_client`` and exit status 1.  The
curl lines of docs/FHIR-API.md section 4 run too."""
import json
import pathlib
import re
import socket
import subprocess
import sys
import threading
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import waitress
from joserfc.jwk import import_key

from minorconsent import main
from minorconsent.agreements import act
from minorconsent.clients import Goal
from minorconsent.disclosures.releases import ReleaseTerms, start_release
from minorconsent.fhirapi.identifiers import compound
from minorconsent.security.policy import principals_for
from minorconsent.workflow.engine import Actor

from support import MARKER, ROLE_EMAILS, app_settings, clinic_of, seed, sign_in, tick

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = REPO / 'docs' / 'fhir-example-client.py'
DOC = REPO / 'docs' / 'FHIR-API.md'
SCOPES = ('system/Patient.rs', 'system/Consent.rs', 'system/Goal.rs')
UNPUBLISHED = 'A goal no summary has published'
APPROVALS = '/api-client-approvals'


@pytest.fixture(scope='module')
def server():
    """The seeded app served on 127.0.0.1 and a port the OS chose, the
    socket bound before the app is made so the public address (the ``aud``
    of every assertion, the host of every ``next`` link) is the server's."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    url = 'http://127.0.0.1:%d' % sock.getsockname()[1]
    app = main({}, **app_settings(**{'minorconsent.public_url': url}))
    db = app.registry._zodb_databases['']
    demo = seed(db, app.registry, marker=MARKER)
    unpublished_work(app.registry, db, demo)
    httpd = waitress.create_server(app, sockets=[sock], threads=2)
    thread = threading.Thread(target=httpd.run, name='example-client-server', daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=url, app=app, db=db, demo=demo)
    finally:
        httpd.close()
        thread.join(timeout=5)
        for each in app.registry._zodb_databases.values():
            each.close()


def unpublished_work(registry, db, demo):
    """Give the son an agreement that is not active (a release sent,
    not signed: ``proposed``) and a goal no summary has published, so the
    searches have something to leave out."""
    with clinic_of(db, registry) as clinic:
        therapist = clinic['users'][demo.user_ids['therapist']]
        son = clinic['clients'][demo.mateo]
        son['goals'].add(Goal(MARKER + ' clinical', UNPUBLISHED, 'Not yet shown.'))
        release = start_release(clinic, son, therapist.__name__,
                                ReleaseTerms('Demo School Counsellor', 'third_party',
                                             ('attendance',), 'Planning school support',
                                             date.today() + timedelta(days=90)))
        act(release, registry, 'send', Actor(therapist.__name__, principals_for(therapist)),
            announce=False)


def run(*args, cwd=None):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd)


def make_key(path):
    """The public JWKS the script prints (its stderr names the thumbprint
    the privacy officer compares)."""
    made = run('--make-key', '--key', str(path))
    assert made.returncode == 0, made.stderr
    public = import_key(json.loads(made.stdout)['keys'][0])
    assert public.thumbprint() in made.stderr and str(path) in made.stderr
    return made.stdout


def register(server, jwks, name):
    """On the admin's page, as the clinic admin does, then approved on the
    privacy officer's page when the client awaits approval (two people);
    the new client id."""
    admin = sign_in(server.app, ROLE_EMAILS['admin'])
    form = admin.get('/api-client-add').forms['form']
    form['name'] = name
    form['jwks'] = jwks
    tick(form, *SCOPES)
    assert form.submit('register').status_int == 302
    with clinic_of(server.db, server.app.registry) as clinic:
        (client,) = [c for c in clinic.api_clients.values() if c.name == name]
        client_id, pending = client.client_id, getattr(client, 'approval', '') == 'pending'
    if pending:
        officer = sign_in(server.app, ROLE_EMAILS['privacy_officer'])
        (form,) = [f for f in officer.get(APPROVALS).forms.values()
                   if 'client_id' in f.fields and f['client_id'].value == client_id]
        assert form.submit('action', value='approve').status_int == 302
    return client_id


def records_of(server, client_id):
    """From the clinic's own records: the client's clinic id, the FHIR ids
    of its active agreements and of all its others, its published goals'
    texts (the seed publishes every goal it makes)."""
    with clinic_of(server.db, server.app.registry) as clinic:
        client = clinic['clients'][client_id]
        agreements = client['agreements'].items()
        return SimpleNamespace(
            mrn=client.external_id,
            active={compound(client_id, aid) for aid, a in agreements if a.state == 'active'},
            others={compound(client_id, aid) for aid, a in agreements if a.state != 'active'},
            goals={compound(client_id, gid): (g.parent_title, g.parent_description,
                                              g.clinical_text)
                   for gid, g in client['goals'].items() if g.parent_title != UNPUBLISHED})


def printed(stdout, kind):
    return [line.split()[0][len(kind) + 1:] for line in stdout.splitlines()
            if line.startswith(kind + '/')]


def test_the_engineer_reads_the_sons_active_consents_and_goals(server, tmp_path):
    key = tmp_path / 'ehr-private.jwk.json'
    jwks = make_key(key)
    assert '"d"' not in jwks and json.loads(key.read_text())['d']
    assert key.stat().st_mode & 0o077 == 0                   # the owner's alone
    client_id = register(server, jwks, 'Clinic EHR')
    son = records_of(server, server.demo.mateo)
    assert son.mrn == 'DEMO-0001' and son.active and son.others
    # --count 1: each search comes in pages, joined by next links.
    done = run('--base', server.url, '--client-id', client_id, '--key', str(key),
               '--identifier', son.mrn, '--count', '1', cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert printed(out, 'Patient') == [server.demo.mateo]
    consents = printed(out, 'Consent')
    assert sorted(consents) == sorted(son.active)           # exactly, each once
    assert 'Active consents: %d' % len(son.active) in out
    assert all(' status=active ' in line for line in out.splitlines()
               if line.startswith('Consent/'))
    assert len(son.goals) >= 2 and sorted(printed(out, 'Goal')) == sorted(son.goals)
    for title, description, clinical in son.goals.values():
        assert '    title: %s\n' % title in out
        assert '    description: %s\n' % description in out
        assert clinical not in out
    assert UNPUBLISHED not in out
    assert MARKER not in out and MARKER not in done.stderr


def test_a_wrong_key_is_invalid_client_and_exit_1(server, tmp_path):
    client_id = register(server, make_key(tmp_path / 'registered.json'), 'Other EHR')
    wrong = tmp_path / 'wrong.json'
    make_key(wrong)                                         # same kid, another key
    done = run('--base', server.url, '--client-id', client_id, '--key', str(wrong),
               '--identifier', 'DEMO-0001')
    assert done.returncode == 1
    assert 'invalid_client' in done.stderr and 'Traceback' not in done.stderr
    assert '/auth/token answered 401' in done.stderr
    assert not printed(done.stdout, 'Consent') and not printed(done.stdout, 'Patient')


def section_4_shell():
    """The sh block of FHIR-API.md section 4 holding the curl lines."""
    text = DOC.read_text()
    section = text[text.index('## 4. '):]
    (block,) = [b for b in re.findall(r'```sh\n(.*?)```', section, re.S) if 'curl' in b]
    return block


def json_values(text):
    """The JSON documents curl printed one after the other."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        value, at = decoder.raw_decode(text, at)
        found.append(value)
    return found


def test_the_documented_curl_lines_read_the_same(server, tmp_path):
    key = tmp_path / 'ehr-private.jwk.json'
    client_id = register(server, make_key(key), 'Curl EHR')
    son = records_of(server, server.demo.mateo)
    script = section_4_shell().replace('http://127.0.0.1:6543', server.url)
    script = script.replace('python3 docs/fhir-example-client.py',
                            '%s %s' % (sys.executable, SCRIPT))
    assert 'DEMO-0001' in script and 'curl' in script
    done = subprocess.run(['bash', '-euc', script], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path,
                          env={'PATH': '/usr/bin:/bin', 'CLIENT_ID': client_id})
    assert done.returncode == 0, done.stderr
    consents, goals = json_values(done.stdout)
    assert {e['resource']['id'] for e in consents['entry']} == son.active
    assert {e['resource']['id'] for e in goals['entry']} == set(son.goals)
    assert MARKER not in done.stdout

