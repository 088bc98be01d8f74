"""Signatures on paper: staff record one against an agreement and a signer.

Many families sign in the office.  The therapist or a supervisor records
the signature: the scan of the signed page, who witnessed it and the day
it was signed.  Who may be recorded is decided by the same rules as
online signing (``invitations.people_to_invite``: a signer the agreement
still waits for, entitled today), and the agreement then moves exactly as
after an online signature (``lifecycle.activate_if_complete``: the same
step, so the same subscribers: the signed PDF, the supersession, the
events).

The scan is kept as a ZODB blob beside the agreement
(``Agreement.paper_scans``).  Its type is decided by its first bytes, never
by its name or the type the browser declared: only PDF, PNG and JPEG are
kept, so a page or a script renamed ``scan.pdf`` is refused.  Staff
download it as an attachment only (``paper_views``); no family page
reaches it.
"""
import hashlib
from dataclasses import replace
from datetime import date

from persistent import Persistent
from BTrees.OOBTree import OOBTree
from ZODB.blob import Blob

from minorconsent.audit.recorder import note
from minorconsent.site import find_clinic
from minorconsent.site.clock import utcnow

from .events import announce_signature
from .invitations import people_to_invite
from .lifecycle import activate_if_complete, newer_issued
from .model import Signature, authority_words

#: The largest scan kept (the request body limit may be lower: ``scan_limit``).
MAX_SCAN_BYTES = 10 * 1024 * 1024
#: Room in a request body for the form's other fields and the multipart framing.
FORM_OVERHEAD = 64 * 1024
#: Content type by the file's first bytes, and the extension of its download.
SIGNATURES = (
    (b'%PDF-', 'application/pdf', 'pdf'),
    (b'\x89PNG\r\n\x1a\n', 'image/png', 'png'),
    (b'\xff\xd8\xff', 'image/jpeg', 'jpg'),
)
EXTENSIONS = {content_type: ext for _, content_type, ext in SIGNATURES}
WAITING = ('sent', 'proposed')


class PaperSignatureError(ValueError):
    """A paper signature that must not be recorded: the message, and the
    form's field it belongs next to."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


class PaperScan(Persistent):
    """The scan of one signer's paper signature."""

    def __init__(self, data, content_type, recorded_by, recorded):
        self.blob = Blob(data)
        self.content_type = content_type
        self.size = len(data)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.recorded_by = recorded_by
        self.recorded = recorded

    def read(self):
        with self.blob.open('r') as f:
            return f.read()

    @property
    def filename(self):
        # No names in file names: downloads folders are as public as histories.
        return 'paper-signature.%s' % EXTENSIONS.get(self.content_type, 'bin')


def sniff(data):
    """The content type of ``data`` by its first bytes, or None."""
    for magic, content_type, _ in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def scan_limit(max_upload_bytes):
    """The largest scan a form can carry: ``MAX_SCAN_BYTES``, or less when
    the clinic's upload limit (``minorconsent.max_upload_bytes``, which
    answers a bigger request 413 before any view reads it:
    ``security.headers``) would refuse the form first: a scan over the
    limit then gets its message next to the field."""
    return max(0, min(MAX_SCAN_BYTES, int(max_upload_bytes) - FORM_OVERHEAD))


def size_words(n):
    return '%.1f MB' % (n / 1024 / 1024) if n >= 1024 * 1024 else '%d KB' % (n // 1024)


def read_scan(fp, limit):
    """The scan's bytes and its content type, or ``PaperSignatureError``
    (empty, too big, not a PDF, PNG or JPEG)."""
    if fp is None:
        raise PaperSignatureError('Choose the scan of the signed page (PDF, PNG or JPEG).',
                                  'scan')
    data = fp.read(limit + 1)
    if not data:
        raise PaperSignatureError('The file is empty. Choose the scan of the signed page.',
                                  'scan')
    if len(data) > limit:
        raise PaperSignatureError('The file is too big: a scan may be at most %s.'
                                  % size_words(limit), 'scan')
    content_type = sniff(data)
    if content_type is None:
        raise PaperSignatureError('This file is not a PDF, PNG or JPEG image. Scan the signed '
                                  'page to one of those.', 'scan')
    return data, content_type


def paper_signers(agreement, users):
    """Who a paper signature may be recorded for: the signers the agreement
    still waits for, by the rules of online signing."""
    return people_to_invite(agreement, users)


def sent_on(agreement):
    """The day the agreement was last sent out for signatures (the step
    into its waiting state), or None."""
    entries = [e for e in agreement.history.steps() if e.to_state in WAITING and e.transition]
    return entries[-1].time.date() if entries else None


def record_paper_signature(agreement, registry, signer, staff_id, scan_fp, witness, signed_on,
                           limit=MAX_SCAN_BYTES, now=None):
    """Record ``signer``'s signature on paper; activate the agreement when
    it completes.  ``PaperSignatureError`` (nothing changed) unless the
    agreement waits for this signer, the scan is a PDF, PNG or JPEG no
    bigger than ``limit``, a witness is named and the day is neither in
    the future nor before the agreement was sent."""
    clinic = find_clinic(agreement)
    if signer is None or agreement.state not in WAITING or \
            signer.__name__ in agreement.signatures or \
            signer not in paper_signers(agreement, clinic['users']):
        raise PaperSignatureError('This agreement is not waiting for this signature.', 'signer')
    if newer_issued(agreement):
        raise PaperSignatureError('A newer version of this document was sent: record the '
                                  'signature on that one.', 'signer')
    witness = ' '.join((witness or '').split())
    if len(witness) < 2:
        raise PaperSignatureError('Name the person who witnessed the signature.', 'witness')
    now = now or utcnow()
    if signed_on > now.date():
        raise PaperSignatureError('The day signed cannot be in the future.', 'signed_on')
    sent = sent_on(agreement)
    if sent is not None and signed_on < sent:
        raise PaperSignatureError('The day signed cannot be before the agreement was sent '
                                  '(%s).' % sent.isoformat(), 'signed_on')
    data, content_type = read_scan(scan_fp, limit)
    client = agreement.workflow_client()
    signer_id = signer.__name__
    if signer_id in agreement.required_guardians:
        role, relationship = 'guardian', client['guardians'][signer_id].relationship
    else:
        role, relationship = 'minor', 'client'
    scan = PaperScan(data, content_type, staff_id, now)
    signature = Signature(signer_id, signer.display_name, role, relationship, '', now, '', '',
                          agreement.template_version, agreement.text_sha256, False, True, '',
                          paper_signed_on=signed_on.isoformat(), witness=witness,
                          recorded_by=staff_id, scan_sha256=scan.sha256)
    # The certificate keeps the English words, as for an online signature.
    signature = replace(signature, authority=authority_words(
        signature, agreement.minor_consents).interpolate())
    if agreement.paper_scans is None:
        agreement.paper_scans = OOBTree()
    agreement.paper_scans[signer_id] = scan
    agreement.signatures[signer_id] = signature
    users = clinic['users']
    staff_name = users[staff_id].display_name if staff_id in users else staff_id
    agreement.add_event('signed', signer_id, '%s; signed on paper on %s, witnessed by %s, '
                        'recorded by %s' % (signature.authority, signature.paper_signed_on,
                                            witness, staff_name), now=now)
    # Who recorded it, on the chain itself (ids and hashes only, no names).
    note(agreement, 'agreement.paper_signature', actor=staff_id,
         detail='%s v%s signer %s signed on paper on %s; scan %s %d bytes sha256 %s' % (
             agreement.kind, agreement.template_version, signer_id,
             signature.paper_signed_on, content_type, scan.size, scan.sha256))
    # The signer's own link is no longer needed.
    clinic.invitations.cancel(agreement, signer_id, now)
    announce_signature(registry, agreement, signer_id, now, on_paper=True)
    activate_if_complete(agreement, registry, now)
    return signature
