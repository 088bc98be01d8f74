"""The signed-agreement projection: what a signed agreement's PDF may say.

The PDF of an agreement (``agreements.pdf.render``) is built from an
``AgreementRecord`` only: frozen dataclasses of plain values copied here by
name, never the persistent ``Agreement``, so a field added to the record
reaches no PDF until it is added here on purpose — the same rule as the
portal's ``parentview`` for pages.  It lives with the agreements, which
render the PDFs; the portal's signer copy asks ``pdf`` for it.  Two
copies are made from it:

* the clinic copy (``full_record``): the full certificate, every signer's IP
  address and browser;
* a signer's copy (``for_signer``): only that signer's own events (viewed,
  signed, declined, revoked) and the document's (sent, activated,
  superseded, ...), with only that signer's own IP address and browser,
  because a parent must not learn from it when the other parent opened,
  signed or declined the document, nor where from.  The signatures
  themselves (names, authority, times) are the signed document and stay.
"""
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SignatureLine:
    signer_id: str
    name: str                 # as the signer typed it
    authority: str
    time: str                 # UTC
    ip: str
    user_agent: str
    authenticated_by: str = ''   # how the signer had signed in (a method key)


@dataclass(frozen=True)
class EventLine:
    time: str                 # UTC
    kind: str                 # sent, viewed, signed, revoked, superseded, ...
    actor: str                # display name (or "system")
    ip: str
    actor_id: str


@dataclass(frozen=True)
class AgreementRecord:
    title: str
    client_name: str
    client_birth_date: str
    practice: str
    text: str
    text_sha256: str
    template_version: int
    workflow_version: int
    state_title: str          # the state now (revoked, superseded, ...)
    signatures: tuple         # SignatureLines
    events: tuple             # EventLines, oldest first


def full_record(agreement, clinic, state_title):
    """The clinic's record of ``agreement`` as it stands now: its current
    state and every event so far."""
    users = clinic['users']
    client = agreement.workflow_client()

    def when(moment):
        return moment.strftime('%Y-%m-%d %H:%M:%S UTC')
    return AgreementRecord(
        title=agreement.title, client_name=client.full_name,
        client_birth_date=client.date_of_birth.isoformat(),
        practice=clinic.settings.name, text=agreement.text,
        text_sha256=agreement.text_sha256, template_version=agreement.template_version,
        workflow_version=agreement.workflow_version, state_title=state_title,
        signatures=tuple(SignatureLine(s.signer_id, s.typed_name, s.authority, when(s.time),
                                       s.ip, s.user_agent, s.authenticated_by)
                         for s in agreement.signatures.values()),
        events=tuple(EventLine(when(e.time), e.kind,
                               users[e.actor_id].display_name if e.actor_id in users
                               else e.actor_id, e.ip, e.actor_id)
                     for e in agreement.event_list()))


#: Events of the document as a whole, fired by staff or the system, that
#: every signer's copy lists.  Anything else (a view, a signature, a
#: decline, an invitation, which name a person) is listed on a signer's
#: copy only when it is that signer's own.
DOCUMENT_EVENTS = frozenset({'started', 'sent', 'proposed', 'activated', 'superseded',
                             'expired', 'expire', 'ended', 'end', 'withdraw_proposal'})


def for_signer(record, signer_id):
    """The record as ``signer_id``'s own copy: their own events and the
    document's, every other person's IP address and browser removed."""
    return replace(
        record,
        signatures=tuple(s if s.signer_id == signer_id else replace(s, ip='', user_agent='')
                         for s in record.signatures),
        events=tuple(e if e.actor_id == signer_id else replace(e, ip='')
                     for e in record.events
                     if e.actor_id == signer_id or e.kind in DOCUMENT_EVENTS))
