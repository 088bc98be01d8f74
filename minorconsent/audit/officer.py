"""The privacy officer's accounting of disclosures, read from the chain.

Every disclosure (a safety notice, a mandated report, a court order, an
insurer export, a release's sharing) and every third party's request is
recorded on the trail when it is made, with the client's reference, the
staff member, the day and what was disclosed to whom (``abuse to
agency``).  The accounting lists those entries, so the privacy officer can
answer "what was disclosed about this client, when, to whom" without
opening a client record, from entries nobody can alter unnoticed.
"""
from BTrees.LOBTree import LOTreeSet, multiunion

#: The entries that make up the accounting.
DISCLOSURE_ACTIONS = ('disclosure.record', 'request.record')
WHAT = {'disclosure.record': 'Disclosure', 'request.record': 'Request from a third party'}


def disclosure_seqs(audit_log, record='', first_day=None, last_day=None):
    """The seqs of the accounting's entries matching the filters."""
    found = [audit_log.by_action[a] for a in DISCLOSURE_ACTIONS if a in audit_log.by_action]
    if not found:
        return LOTreeSet()
    scope = multiunion(found)
    if not (record or first_day or last_day):
        return scope
    return audit_log.select(record=record or None, first_day=first_day,
                            last_day=last_day, within=scope)
