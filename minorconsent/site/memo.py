"""Remembering a derived value for the rest of a read-only transaction.

A guardian's page asks the same question many times: each agreement,
summary and notice computes its ACL from the client's links, and each of
those starts from ``Client.local_roles``.  The answer depends only on what
is stored, so within one transaction that has written nothing it cannot
change.  ``per_transaction`` keeps it on a volatile (``_v_``) attribute of
the persistent object, tagged with the transaction it was computed in.

The memo is used only while the object's connection has not registered or
added a single object in this transaction: once a request writes anything
(a link ended, a role removed), every later question in that request is
computed afresh from the data.  A new transaction never sees an old memo.
Anything this module cannot check answers "not read-only", so the worst
case is recomputing, never a stale answer.
"""


def read_only(jar):
    """True while ``jar`` (a ZODB connection) has changed nothing in its
    current transaction."""
    if jar is None:
        return False
    registered = getattr(jar, '_registered_objects', None)
    added = getattr(jar, '_added', None)
    if registered is None or added is None:
        return False
    # A savepoint moves the changes into its own storage and empties both
    # lists: the transaction has still written.
    if getattr(jar, '_savepoint_storage', None) is not None:
        return False
    return not registered and not added


def per_transaction(obj, name, key, compute):
    """``compute()``, remembered on ``obj`` under ``name`` for the rest of
    this transaction and this ``key`` while nothing has been written."""
    jar = obj._p_jar
    if not read_only(jar):
        return compute()
    try:
        txn = jar.transaction_manager.get()
    except Exception:       # an explicit manager outside a transaction
        return compute()
    attr = '_v_memo_' + name
    held = getattr(obj, attr, None)
    if held is not None and held[0] is txn and held[1] == key:
        return held[2]
    value = compute()
    setattr(obj, attr, (txn, key, value))
    return value


def per_app(registry, name):
    """The app's own dict ``name`` for values derived from its configuration
    alone (a menu per role set, a rendered empty form, a localizer, a
    template object): kept on the registry, so two apps in one process (a
    host app mounting the clinic under a prefix) never share one."""
    return registry.__dict__.setdefault('_mc_' + name, {})
