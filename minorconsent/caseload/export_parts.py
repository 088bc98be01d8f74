"""What each exported file says of one record: plain dicts, one per line.

Why projections of their own (and not pickles, nor the app's pages): the
export is read by whoever comes after the clinic's use of this app (a new
system, an auditor, a privacy officer answering a subpoena), with nothing
of this code at hand.  Each record is written as JSON with the ids the
rest of the export uses: ``client_ref`` is the app's opaque id of the
client (the audit trail's ``record``), ``client_id`` the clinic's own id
from the caseload file (empty for a client added in the app).

Nothing here reads a private note except ``note_line``, and the export
calls it only when the operator asked for private notes.  No other free
text a person typed leaves either (step and review comments, invitation
notes, disclosure justifications, restriction notes, contact
instructions): only fields the system wrote, names and what guardians
were shown (published summaries).
"""
import hashlib
import json
import os
from datetime import date, datetime

from minorconsent.agreements.fhir import consent_resource
from minorconsent.agreements.paper import EXTENSIONS
from minorconsent.audit.chain import FIELDS, GENESIS, as_dict, entry_hash
from minorconsent.summaries.model import PUBLISHED

from .columns import external_id


def json_value(value):
    """``json.dumps``'s fallback: dates and times as ISO 8601, tuples and
    sets as lists (sorted sets, so a re-export compares equal)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError('cannot export %r' % type(value).__name__)


def json_line(record):
    """One JSON lines record: UTF-8 text (names are not ASCII-escaped),
    keys in a stable order, one line."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True,
                      default=json_value) + '\n'


def _client_keys(client):
    return {'client_ref': client.__name__, 'client_id': external_id(client) or ''}


# --- agreements --------------------------------------------------------------

def pdf_name(client, agreement):
    """The signed PDF's file name: opaque ids only (a folder listing names
    no child)."""
    return 'agreements/%s-%s.pdf' % (client.__name__, agreement.__name__)


def scan_name(client, agreement, signer_id, scan):
    """The file of a paper signature's scan (opaque ids only)."""
    return 'agreements/%s-%s-paper-%s.%s' % (client.__name__, agreement.__name__, signer_id,
                                             EXTENSIONS.get(scan.content_type, 'bin'))


def paper_scans(agreement):
    """``[(signer id, scan)]`` of the signatures staff recorded on paper."""
    return list(agreement.paper_scans.items()) if agreement.paper_scans else []


def _signature(signature):
    return {'signer_id': signature.signer_id, 'typed_name': signature.typed_name,
            'role': signature.role, 'relationship': signature.relationship,
            'authority': signature.authority, 'time': signature.time,
            'authenticated_by': signature.authenticated_by,
            'template_version': signature.template_version,
            'text_sha256': signature.text_sha256,
            'consented_to_electronic': signature.consented_to_electronic,
            'intent_to_sign': signature.intent_to_sign,
            'on_paper': signature.on_paper, 'paper_signed_on': signature.paper_signed_on,
            'witness': signature.witness, 'recorded_by': signature.recorded_by,
            'scan_sha256': signature.scan_sha256}


def _event(event):
    """An agreement event as exported: when, what and who, without its
    ``detail``.  Why: the detail is partly a person's own words (the
    comment typed with a workflow step, which may be clinical; a note
    given with an invitation) and partly the system's, and the stored
    event does not say which.  What the system's words said is in the
    record anyway (the signatures' authority and paper details, the
    template version, the period), so nothing is lost but free text."""
    return {'time': event.time, 'kind': event.kind, 'actor_id': event.actor_id}


def agreement_line(client, agreement):
    """One agreement: its kind and text's hash, its state and period, who
    must sign, who signed and how, its events, the file of its signed PDF
    (None until it activated) and those of the scans of paper signatures
    (the evidence of a signature made on paper)."""
    record = _client_keys(client)
    record.update({
        'agreement_id': agreement.__name__, 'kind': agreement.kind,
        'title': agreement.title, 'state': agreement.state,
        'workflow': agreement.workflow_id, 'workflow_version': agreement.workflow_version,
        'template_version': agreement.template_version,
        'text_sha256': agreement.text_sha256, 'created': agreement.created,
        'valid_from': agreement.valid_from, 'valid_until': agreement.valid_until,
        'signers': {
            'guardians': list(agreement.required_guardians),
            'guardian_signatures_needed': agreement.signatures_needed,
            'therapist': agreement.therapist_signer,
            'client_assent_required': agreement.assent_required,
            'client_consents_alone': agreement.minor_consents,
        },
        'signatures': [_signature(s) for s in agreement.signatures.values()],
        'events': [_event(e) for e in agreement.event_list()],
        'pdf': pdf_name(client, agreement) if agreement.pdf is not None else None,
        'pdf_sha256': agreement.pdf_sha256,
        'paper_scans': [{'signer_id': signer_id, 'file': scan_name(client, agreement,
                                                                    signer_id, scan),
                         'content_type': scan.content_type, 'sha256': scan.sha256,
                         'recorded_by': scan.recorded_by, 'recorded': scan.recorded}
                        for signer_id, scan in paper_scans(agreement)],
    })
    return record


def consent_entry(agreement, clinic, registry):
    """The agreement as a Bundle entry: the app's own FHIR R4 Consent
    (``agreements.fhir``), so the export and the per-agreement download
    never differ."""
    return {'resource': consent_resource(agreement, clinic, registry)}


# --- summaries and notes -----------------------------------------------------

def published_at(summary):
    """When the summary was last published (the step into ``published``)."""
    times = [e.time for e in summary.history.steps() if e.to_state == PUBLISHED]
    return times[-1] if times else None


def summary_line(client, summary):
    """A published summary as the guardians read it: the period, the text
    for parents and each goal line frozen at writing (the parent-facing
    title, never the clinical wording)."""
    record = _client_keys(client)
    record.update({
        'summary_id': summary.__name__, 'state': summary.state,
        'period': summary.period, 'parent_text': summary.parent_text,
        'author_id': summary.author_id, 'created': summary.created,
        'published': published_at(summary), 'supersedes': summary.supersedes,
        'goals': [{'goal_id': line.goal_id, 'title': line.title, 'rating': line.rating,
                   'description': line.description, 'note': line.note,
                   'entries': [list(entry) for entry in line.entries]}
                  for line in summary.goal_lines],
    })
    return record


def is_published(summary):
    return summary.state == PUBLISHED


def note_line(client, note):
    """A private session note: only with ``--include-private-notes``."""
    record = _client_keys(client)
    record.update({'note_id': note.__name__, 'author_id': note.author_id,
                   'session_date': note.session_date, 'created': note.created,
                   'text': note.text})
    return record


# --- the audit trail ---------------------------------------------------------

def audit_line(stored):
    """A sealed entry: its fields in the chain's order and its hash."""
    return json.dumps(as_dict(stored), ensure_ascii=False) + '\n'


class ChainBroken(ValueError):
    """The exported entries do not make an unbroken chain."""


def verify_exported_chain(path):
    """Recompute the chain from the exported file itself: each line's hash
    from its fields, each ``prev`` the hash before, the sequence unbroken.
    Returns ``(entries, head hash)``; raises ``ChainBroken`` naming the
    first line that does not hold.  Why from the file: it proves the bytes
    handed over are the trail, not only that the database's was intact."""
    prev, count = GENESIS, 0
    with open(path, encoding='utf-8') as lines:
        for number, line in enumerate(lines, 1):
            entry = json.loads(line)
            values = [entry[name] for name in FIELDS]
            if entry['seq'] != number:
                raise ChainBroken('line %d: entry %s out of sequence' % (number, entry['seq']))
            if entry['prev'] != prev:
                raise ChainBroken('line %d: does not follow the entry before it' % number)
            if entry_hash(values) != entry['hash']:
                raise ChainBroken('line %d: its hash does not match its content' % number)
            prev, count = entry['hash'], number
    return count, prev


# --- files -------------------------------------------------------------------

#: Every exported file: its owner may read and write it, no one else.
FILE_MODE = 0o600


def open_private(path, mode='wb', **text):
    """Open a new file at ``path`` that only its owner may read (0600),
    whatever the umask.  Why not ``open``: it makes the file 0644 under the
    usual umask, readable by every account on the machine for the moment
    it exists, and the export holds the clinic's records.  ``O_EXCL``
    refuses a file (or a link planted) already there."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **text)
    except BaseException:
        os.close(fd)
        raise


class HashingWriter:
    """A text file being written, with its SHA-256 and size kept as it
    goes, so the manifest needs no second read of a large file."""

    def __init__(self, path):
        self.path = path
        self._file = open_private(path, 'w', encoding='utf-8', newline='')
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, text):
        data = text.encode('utf-8')
        self._hash.update(data)
        self.size += len(data)
        self._file.write(text)

    def close(self):
        self._file.close()
        return self._hash.hexdigest(), self.size


def copy_blob(blob, path):
    """Copy a ZODB blob to ``path`` in pieces; ``(sha256, size)``."""
    digest, size = hashlib.sha256(), 0
    with blob.open('r') as source, open_private(path) as out:
        for piece in iter(lambda: source.read(1 << 16), b''):
            digest.update(piece)
            size += len(piece)
            out.write(piece)
    return digest.hexdigest(), size
