"""An account id tells nobody but the admin whether the account exists.

``/users/<id>...`` already answered a made-up id and a real one alike
(404, byte for byte) to everyone but the admin, but not on the same road:
a real id went through the view, the audit deriver and the permission
check (and was written to the trail), a made-up one stopped at traversal
(and was not).  The real one was slower (about 13 µs), and an anonymous
flood of real ids grew the audit database without bound.

So, as for a client's file (``site/hidden.py``), the gate in front of
``/users/<id>`` sends everyone but the admin down the placeholder road
before any account is read: a ``User`` placeholder with ``DENY_ALL``,
through the same view, audit deriver and permission check, recorded as
the same denied probe (``GET User.edit``, target ``users/<id>``) and
spending the same per-address budget (``account-probe``): past it, 429
for real and made-up ids alike, and one trail entry a minute.
"""
from minorconsent.site.hidden import found, placeholder, spend_probe_budget

from .model import ADMIN, User


def account_gate(request, users, segments, traverse):
    identity = request.identity
    if identity is not None and ADMIN in identity.user.roles:
        return traverse(request)
    spend_probe_budget(request, 'account-probe')
    user = placeholder(User, segments[1], users)
    if len(segments) == 2:
        return found(user, '', (), segments)
    view_name = segments[2][2:] if segments[2][:2] == '@@' else segments[2]
    return found(user, view_name, segments[3:], segments[:2])


def includeme(config):
    config.add_hidden_gate('users', account_gate)
