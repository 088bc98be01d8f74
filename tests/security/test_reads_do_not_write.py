"""A page view costs no commit of its own: the design for load.

The only write a read may cause is the session touch, at most once a
minute per session (docs/SECURITY.md).
"""
from datetime import timedelta

from support import ROLE_EMAILS, sign_in


def last_tid(app):
    return app.db.storage.lastTransaction()


def test_guardian_and_therapist_pages_commit_nothing(app, demo):
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    therapist = sign_in(app, ROLE_EMAILS['therapist'])
    before = last_tid(app)
    for _ in range(3):
        guardian.get('/family')
        guardian.get('/clients/%s/family' % demo.mateo)
        therapist.get('/clients/')
        therapist.get('/clients/%s/' % demo.mateo)
        guardian.get('/clients/%s/' % demo.ava, status=404)
    assert last_tid(app) == before


def test_a_stale_session_is_touched_once(app, clinic, demo):
    guardian = sign_in(app, ROLE_EMAILS['guardian'])
    with clinic() as c:
        uid = demo.user_ids['guardian']
        for key in c.sessions._by_user[uid]:
            c.sessions._by_key[key].last_seen -= timedelta(seconds=90)
    before = last_tid(app)
    guardian.get('/family')
    after_first = last_tid(app)
    guardian.get('/family')
    assert after_first != before
    assert last_tid(app) == after_first
