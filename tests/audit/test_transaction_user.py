"""The ZODB transaction carries no user (issue 20): pyramid_tm's
``tm.annotate_user`` is off, so it does not ask for the signed-in user at the
start of every request.  Nothing reads a transaction's user; who did what
is on the audit trail."""
from support import csrf_of, sign_in


def last_transaction(storage):
    return list(storage.changes.iterator())[-1]


def test_a_signed_in_write_commits_without_a_transaction_user(app):
    browser = sign_in(app, 'therapist@demo.test')
    page = browser.get('/clients/')
    storage = app.db.storage
    before = storage.lastTransaction()
    browser.post('/logout', {'csrf_token': csrf_of(page)})
    txn = last_transaction(storage)
    assert txn.tid > before, 'the sign-out wrote nothing'
    assert txn.user == b''
    # pyramid_tm still notes the path.
    assert txn.description == b'/logout'
    assert app.registry.settings['tm.annotate_user'] == 'false'
