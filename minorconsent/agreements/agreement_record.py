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

from .validity import valid_from, valid_until


@dataclass(frozen=True)
class SignatureLine:
    signer_id: str
    name: str                 # as the signer typed it
    authority: str
    time: str                 # UTC
    ip: str
    user_agent: str
    authenticated_by: str = ''   # how the signer had signed in (a method key)
    #: A signature on paper, recorded by staff (``paper``): the day signed
    #: (ISO), the witness's name, the display name of who recorded it.
    #: Empty for a signature made on the portal.
    paper_signed_on: str = ''
    witness: str = ''
    recorded_by: str = ''


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
    #: Who the agreement is about and with (``AgreementParties``): the
    #: agreement's text speaks of "the child named in this agreement".
    parties: object = None
    #: Its period in force (``validity``), ISO days; '' where it has none
    #: (not in force yet, no end, or activated before periods existed).
    valid_from: str = ''
    valid_until: str = ''


@dataclass(frozen=True)
class AgreementParties:
    """Who an agreement names: the child (their preferred or first name
    and family name), the therapists and the practice.

    A family member who may read the agreement is entitled to these: it
    is about their child, or themselves, and the people they sign with.
    Read from the client's record as it is now; the PDF stored when the
    agreement activates keeps them as they were then."""
    child: str
    therapists: str           # display names, ", "-separated
    practice: str
    own: bool = False         # the client consents on their own: not "the child" to them


def child_name(client):
    """The child as an agreement names them: preferred (or first) name
    and family name."""
    return ' '.join(filter(None, (client.preferred_name or client.first_name,
                                  client.last_name)))


def parties_of(agreement, clinic):
    client = agreement.workflow_client()
    users = clinic['users']
    therapists = [users[t].display_name for t in client.therapist_ids
                  if t in users and users[t].active]
    return AgreementParties(child=child_name(client), therapists=', '.join(therapists),
                            practice=clinic.settings.name, own=agreement.minor_consents)


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
        signatures=tuple(signature_line(s, users, when) for s in agreement.signatures.values()),
        events=tuple(EventLine(when(e.time), e.kind,
                               users[e.actor_id].display_name if e.actor_id in users
                               else e.actor_id, e.ip, e.actor_id)
                     for e in agreement.event_list()),
        parties=parties_of(agreement, clinic),
        valid_from=_iso(valid_from(agreement)), valid_until=_iso(valid_until(agreement)))


def _iso(day):
    return day.isoformat() if day is not None else ''


def signature_line(signature, users, when):
    recorder = signature.recorded_by
    return SignatureLine(
        signature.signer_id, signature.typed_name, signature.authority, when(signature.time),
        signature.ip, signature.user_agent, signature.authenticated_by,
        paper_signed_on=signature.paper_signed_on, witness=signature.witness,
        recorded_by=users[recorder].display_name if recorder in users else recorder)


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
