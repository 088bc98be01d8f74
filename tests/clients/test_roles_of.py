"""``Client.roles_of`` (one person, asked by traversal of every client URL)
and ``Client.local_roles`` (everyone, for the ACL) are one rule."""
from datetime import date, timedelta


def test_roles_of_one_person_agree_with_local_roles(app, clinic):
    with clinic() as c:
        users, settings = c['users'], c.settings
        some = 0
        for today in (date.today(), date.today() + timedelta(days=365 * 4)):
            for client in c['clients'].values():
                everyone = client._local_roles(users, settings, today)
                for user in users.values():
                    held = client.roles_of(user, users, settings, today)
                    assert held == everyone.get('user:' + user.__name__, set()), (
                        client.__name__, user.email)
                    some += bool(held)
        assert some > 10
