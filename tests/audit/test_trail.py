"""What reaches the trail, when, and how it is tied to the write it describes."""
import transaction

from minorconsent.audit import note
from minorconsent.audit.chain import inbox_entry, log_of, verify
from support import ROLE_EMAILS, audit_entries, clinic_of, csrf_of, new_browser, sign_in


def inbox(app):
    """Entries committed but not yet sealed (written with their transaction)."""
    conn = app.registry._zodb_databases['audit'].open()
    try:
        log = log_of(conn.root(), create=False)
        return [inbox_entry(item) for item in log.inbox] if log is not None else []
    finally:
        conn.close()


def audit_tid(app):
    return app.registry._zodb_databases['audit'].storage.lastTransaction()


def progress_path(demo):
    return '/clients/%s/goals/%s/progress' % (demo.mateo, demo.mateo_goal)


def test_a_write_commits_its_entry_with_it(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    app.registry.audit_recorder.flush()
    form = therapist.get(progress_path(demo)).forms['form']
    form['day'], form['rating'] = '2026-11-20', 'improving'
    form.submit(status=302)
    # Nothing has been sealed since, yet the entry is already durable.
    waiting = [e for e in inbox(app) if e['action'] == 'POST Goal.progress']
    assert len(waiting) == 1
    entry = waiting[0]
    assert entry['actor'] == demo.user_ids['therapist']
    assert entry['record'] == demo.mateo
    assert entry['target'] == 'goals/%s' % demo.mateo_goal
    assert entry['ip'] and entry['outcome'] == '302'
    sealed = audit_entries(app)
    assert [e for e in sealed if e['action'] == 'POST Goal.progress']
    assert not inbox(app)


def test_a_rejected_write_changes_nothing_but_is_still_on_the_trail(app, demo):
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    form = therapist.get(progress_path(demo)).forms['form']
    form['day'] = 'yesterday'
    before = app.db.storage.lastTransaction()
    form.submit(status=400)
    assert app.db.storage.lastTransaction() == before
    assert not [e for e in inbox(app) if e['action'] == 'POST Goal.progress']
    entries = [e for e in audit_entries(app) if e['action'] == 'POST Goal.progress']
    assert [e['outcome'] for e in entries] == ['400 not-committed']


def test_page_views_are_buffered_not_committed_one_by_one(app, demo):
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    app.registry.audit_recorder.flush()
    before = audit_tid(app)
    for _ in range(3):
        guardian.get('/clients/%s/family' % demo.mateo)
        therapist.get('/clients/%s/' % demo.mateo)
    assert audit_tid(app) == before          # no commit per page view
    assert len(app.registry.audit_recorder.buffer) == 6
    assert app.registry.audit_recorder.flush() == 6   # one group commit
    entries = audit_entries(app)
    views = [e for e in entries if e['record'] == demo.mateo and e['action'].startswith('GET')]
    assert {(e['actor'], e['action']) for e in views} >= {
        (demo.user_ids['guardian'], 'GET Client.family'),
        (demo.user_ids['therapist'], 'GET Client.index')}


def test_denied_and_probing_requests_are_recorded(app, demo):
    guardian = sign_in(app, ROLE_EMAILS['guardian_other'])
    guardian.get('/clients/%s/' % demo.mateo, status=404)
    entries = audit_entries(app)
    assert any(e['action'] == 'GET Client.index' and e['record'] == demo.mateo
               and e['outcome'] == 'denied' and e['actor'] == demo.user_ids['guardian_other']
               for e in entries)


def test_sign_in_failure_and_sign_out(app, demo):
    browser = new_browser(app)
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = ROLE_EMAILS['guardian'], 'wrong password'
    form.submit()
    form = browser.get('/login').forms['form']
    form['email'], form['password'] = 'nobody@demo.test', 'wrong password'
    form.submit()
    signed = sign_in(app, ROLE_EMAILS['guardian'])
    page = signed.get('/logout')
    signed.post('/logout', {'csrf_token': csrf_of(page)})
    entries = audit_entries(app)
    mother = demo.user_ids['guardian']
    actions = [(e['action'], e['actor'], e['detail']) for e in entries
               if e['action'].startswith('auth.')]
    assert actions == [('auth.sign_in_failed', mother, ''),
                       ('auth.sign_in_failed', 'anonymous', 'unknown address'),
                       ('auth.sign_in', mother, ''),
                       ('auth.sign_out', mother, '')]
    assert 'nobody@demo.test' not in repr(entries)


def test_notes_from_the_model_commit_or_vanish_with_their_transaction(app):
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = app.db.open(transaction_manager=tm)
    clinic = conn.root()['minorconsent']
    note(clinic, 'test.aborted')
    tm.abort()
    conn.close()
    with clinic_of(app.db, app.registry) as clinic:
        note(clinic, 'test.committed', detail='kept')
    actions = [e['action'] for e in inbox(app)]
    assert 'test.committed' in actions and 'test.aborted' not in actions
    entry = [e for e in audit_entries(app) if e['action'] == 'test.committed'][0]
    assert entry['actor'] == 'system' and entry['detail'] == 'kept'


def test_a_signature_and_the_transitions_it_causes_are_on_the_trail(app, demo, clinic):
    """The seed's agreements were signed through the model: each signature,
    each workflow step and its actor is on the (verified) chain."""
    entries = audit_entries(app)
    signed = [e for e in entries if e['action'] == 'agreement.signed']
    assert signed and all(e['record'] for e in signed)
    steps = [e for e in entries if e['action'] == 'workflow.transition']
    assert any('-> active (activate)' in e['detail'] and e['actor'] == 'system' for e in steps)
    conn = app.registry._zodb_databases['audit'].open()
    try:
        assert verify(log_of(conn.root())) == len(entries)
    finally:
        conn.close()


def test_admin_changes_say_what_changed(app, demo):
    admin = sign_in(app, ROLE_EMAILS['admin'])
    form = admin.get('/settings').forms['form']
    form['idle_timeout_minutes'] = '20'
    form.submit(status=302)
    form = admin.get('/users/%s/edit' % demo.user_ids['therapist_other']).forms['form']
    form['active'] = False
    form.submit(status=302)
    entries = audit_entries(app)
    settings = [e for e in entries if e['action'] == 'admin.settings']
    assert settings[-1]['detail'] == 'changed: idle_timeout_minutes'
    account = [e for e in entries if e['action'] == 'admin.account'][-1]
    assert account['target'] == 'users/' + demo.user_ids['therapist_other']
    assert 'active True -> False' in account['detail']
    assert account['actor'] == demo.user_ids['admin']


def test_a_write_that_spans_a_seal_does_not_conflict(app):
    """A write's transaction that began before a seal and commits after it
    (a slow request under load) merges with the seal instead of failing."""
    with clinic_of(app.db, app.registry) as clinic:
        note(clinic, 'test.first')          # something for the seal to pull
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    conn = app.db.open(transaction_manager=tm)
    note(conn.root()['minorconsent'], 'test.slow')
    conn.get_connection('audit').root()['minorconsent-audit'].inbox._p_activate()
    assert app.registry.audit_recorder.flush() >= 1   # the seal commits first
    tm.commit()                                        # then the slow write: no conflict
    conn.close()
    actions = [e['action'] for e in audit_entries(app)]
    assert actions.count('test.first') == 1 and actions.count('test.slow') == 1


def test_an_entry_names_the_client_by_the_path_of_what_it_describes(app, demo):
    """The trail, at the bottom, reads a client's reference from the path
    (``/clients/<id>/...``), for the client, a record in its file, and a
    placeholder standing where a record would be; anything else has none."""
    from minorconsent.audit.recorder import describe
    from minorconsent.clients import Client
    from minorconsent.site.hidden import placeholder
    with clinic_of(app.db, app.registry) as clinic:
        client = clinic['clients'][demo.mateo]
        goal = client['goals'][demo.mateo_goal]
        assert describe(client) == (demo.mateo, '')
        assert describe(goal) == (demo.mateo, 'goals/' + demo.mateo_goal)
        made_up = placeholder(Client, 'x' * 12, clinic['clients'])
        assert describe(made_up) == ('x' * 12, '')
        assert describe(clinic['clients']) == ('', 'clients')
        assert describe(clinic['users']) == ('', 'users')
        assert describe(clinic) == ('', '')
