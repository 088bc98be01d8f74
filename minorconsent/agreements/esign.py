"""The consumer's consent to electronic records, asked once before a
person's first electronic signature.

The U.S. ESIGN Act (15 U.S.C. 7001(c)) lets a document the law requires "in
writing" be given electronically only to a consumer who, before
consenting, was told: that they may have it on paper (and how to ask for a
copy), that they may withdraw their consent (how, and what follows), what
hardware and software they need to open and keep the documents, and how to
update their contact details; and who then agreed.  The words are the
portal's (``portal/templates/esign_disclosure.pt``, English and Spanish);
this module keeps the rule and the record.

The agreement is kept on the person's account (``electronic_records``, a
frozen value: the disclosure version, time, language, IP address and
browser) and written on the audit trail; ``sign`` refuses an electronic
signature without it.  A new ``DISCLOSURE_VERSION`` (the words changed in
substance) asks everyone again.  Withdrawing removes it: the next
signature asks again, and until then the practice uses paper.
"""
from dataclasses import dataclass
from datetime import datetime

from minorconsent.audit.recorder import note
from minorconsent.site.clock import utcnow

#: Raise when the disclosure's substance changes: everyone is asked again.
DISCLOSURE_VERSION = 1


@dataclass(frozen=True)
class ElectronicRecordsConsent:
    version: int
    time: datetime           # UTC
    language: str            # the language the disclosure was shown in
    ip: str
    user_agent: str


def consent_of(user):
    """The person's standing agreement, or None (accounts made before this
    record existed have no attribute: they have not agreed)."""
    return getattr(user, 'electronic_records', None)


def has_agreed(user):
    found = consent_of(user)
    return found is not None and found.version == DISCLOSURE_VERSION


def agree(user, language='en', ip='', user_agent='', now=None):
    """Record that ``user`` read the disclosure and agreed; on the trail."""
    found = ElectronicRecordsConsent(DISCLOSURE_VERSION, now or utcnow(),
                                     language or 'en', ip, (user_agent or '')[:300])
    user.electronic_records = found
    note(user, 'esign.disclosure_agreed', actor=user.__name__,
         detail='version %d, %s' % (found.version, found.language))
    return found


def withdraw(user):
    """Withdraw the consent to electronic records (signatures already made
    stand); on the trail.  Returns whether there was one to withdraw."""
    if consent_of(user) is None:
        return False
    user.electronic_records = None
    note(user, 'esign.consent_withdrawn', actor=user.__name__)
    return True
