"""Witnessed chain heads: the audit trail checked against copies kept elsewhere.

The chain alone proves only that it is self-consistent: whoever can write
``Audit.fs`` can cut its newest entries and move the head back, re-hash
every entry after a rewrite, or restore an older copy of the file (an
undo), and the chain still verifies.  So its head is *witnessed*: on a
schedule (``minorconsent-audit witness``, from cron or a systemd timer)
the sequence number and hash of the newest sealed entry are signed with an
Ed25519 key kept outside the database and appended, one line per witness,
to a file on another volume that only grows.  ``verify`` then checks the
chain against every witnessed head: each must still be on the chain, at
its position, with its hash.  A truncation, rewrite or undo of anything
witnessed is reported, naming the first witnessed head the chain no longer
reaches.  What happened after the newest witness (the window, one
schedule interval) is not covered.

A line (UTF-8, space-separated, signed over everything before `` sig=``)::

    v1 2026-11-30T08:15:00.123456Z seq=12345 head=<64 hex> key=<16 hex> sig=<base64>

``key`` names the signing key (the first 16 hex digits of the SHA-256 of
its raw public key), so a line signed with another key is refused by name.
"""
import base64
import hashlib
import os
from dataclasses import dataclass

from .chain import FIELDS, entry_hash

VERSION = 'v1'


class WitnessError(Exception):
    """A witness line that cannot be trusted, or a key that cannot be used."""


# --- keys -------------------------------------------------------------------

def _crypto():
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as exc:   # pragma: no cover - install_requires has it
        raise WitnessError('the cryptography package is needed to witness the chain') from exc
    return serialization, ed25519


def create_key(private_path, public_path):
    """Write a new Ed25519 key pair: the private key readable by its owner
    only (mode 0600), the public key beside it.  Refuses to overwrite."""
    serialization, ed25519 = _crypto()
    for path in (private_path, public_path):
        if os.path.exists(path):
            raise WitnessError('%s exists already: a witness key is never replaced '
                               'silently (move it away first)' % path)
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'wb') as out:
        out.write(private)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(public_path, 'wb') as out:
        out.write(public)
    return key_id(key.public_key())


def _load_key(path, load, kind, name, kind_name):
    """The key in the PEM file ``path`` (``load``), which must be a
    ``kind``; a ``WitnessError`` that names the file otherwise."""
    try:
        with open(path, 'rb') as data:
            key = load(data.read())
    except (OSError, ValueError, TypeError) as exc:
        raise WitnessError('cannot read the witness %s %s: %s' % (name, path, exc)) from exc
    if not isinstance(key, kind):
        raise WitnessError('%s is not an Ed25519 %s' % (path, kind_name))
    return key


def load_private_key(path):
    serialization, ed25519 = _crypto()
    return _load_key(path, lambda data: serialization.load_pem_private_key(data, password=None),
                     ed25519.Ed25519PrivateKey, 'key', 'private key')


def load_public_key(path):
    serialization, ed25519 = _crypto()
    return _load_key(path, serialization.load_pem_public_key,
                     ed25519.Ed25519PublicKey, 'public key', 'public key')


def key_id(public_key):
    serialization, _ = _crypto()
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# --- lines ------------------------------------------------------------------

@dataclass(frozen=True)
class Witness:
    number: int      # its line in the witness file, from 1
    at: str
    seq: int
    head: str


def _signed_part(at, seq, head, kid):
    return '%s %s seq=%d head=%s key=%s' % (VERSION, at, seq, head, kid)


def witness_line(private_key, at, seq, head):
    """The line that witnesses ``head`` as the hash of entry ``seq``."""
    signed = _signed_part(at, seq, head, key_id(private_key.public_key()))
    signature = private_key.sign(signed.encode('utf-8'))
    return '%s sig=%s' % (signed, base64.b64encode(signature).decode('ascii'))


def parse_line(line, number, public_key):
    """A ``Witness`` from a line whose signature ``public_key`` accepts;
    ``WitnessError`` saying why otherwise."""
    from cryptography.exceptions import InvalidSignature
    parts = line.split(' ')
    try:
        version, at, seq, head, kid, sig = parts
        if version != VERSION or not seq.startswith('seq=') or not head.startswith('head=') \
                or not kid.startswith('key=') or not sig.startswith('sig='):
            raise ValueError
        seq, head, kid = int(seq[4:]), head[5:], kid[4:]
        signature = base64.b64decode(sig[4:], validate=True)
        if seq < 0 or len(head) != 64:
            raise ValueError
        parse_stamp(at)
    except ValueError:
        raise WitnessError('witness line %d is not a witness line' % number) from None
    if kid != key_id(public_key):
        raise WitnessError('witness line %d is signed with another key (%s, not %s)'
                           % (number, kid, key_id(public_key)))
    try:
        public_key.verify(signature, _signed_part(at, seq, head, kid).encode('utf-8'))
    except InvalidSignature:
        raise WitnessError('witness line %d: its signature does not verify '
                           '(altered, or not signed with the witness key)' % number) from None
    return Witness(number, at, seq, head)


def parse_stamp(text):
    """The UTC time of a witness line or an entry (``2026-11-30T08:15:00.123456Z``);
    ValueError for anything else."""
    from datetime import datetime, timezone
    if not text.endswith('Z'):
        raise ValueError(text)
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)


def read_witnesses(path, public_key):
    """Every witness in the file, in order; ``WitnessError`` at the first
    line that is not a valid, signed witness.  Blank lines are skipped (an
    editor's or a copy's trailing newline); a line with anything else on it
    must be a witness."""
    found = []
    with open(path, encoding='utf-8') as lines:
        for number, line in enumerate(lines, 1):
            line = line.rstrip('\n')
            if line.strip():
                found.append(parse_line(line, number, public_key))
    return found


def append_line(path, line):
    """Append one line and make it durable before returning (O_APPEND: the
    file may be append-only, e.g. ``chattr +a`` or a mount that allows
    nothing else)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + '\n').encode('utf-8'))
        os.fsync(fd)
    finally:
        os.close(fd)


# --- checking the chain against them -----------------------------------------

def unreached(log, witnesses):
    """The first witness the chain does not reach, with the reason, or None.

    Reached means: the chain holds an entry at the witnessed position and
    its stored hash is the witnessed one (``chain.verify`` checks that the
    stored hashes and links hold).
    """
    for witness in witnesses:
        if witness.seq == 0:
            continue
        stored = log.entries.get(witness.seq) if log is not None else None
        if stored is None:
            return witness, ('the chain ends at entry %d (cut, or an older copy restored)'
                             % (log.head_seq if log is not None else 0))
        if stored[-1] != witness.head:
            return witness, 'entry %d has another hash (rewritten)' % witness.seq
        if witness.seq > log.head_seq:
            return witness, 'the chain head is at entry %d, before it' % log.head_seq
    return None


def extends(log, witness):
    """Does the chain after ``witness`` follow from it, link by link?  (The
    part a new witness vouches for; ``chain.verify`` checks the rest.)
    Returns a reason, or None."""
    found = unreached(log, [witness])
    if found is not None:
        return found[1]
    prev = witness.head
    for seq, stored in log.entries.items(min=witness.seq + 1):
        values = list(stored[:len(FIELDS)])
        if values[-1] != prev:
            return 'entry %d does not follow the entry before it' % seq
        prev = entry_hash(values)
        if prev != stored[-1]:
            return 'entry %d was altered (its hash does not match its content)' % seq
    if prev != log.head_hash:
        return 'the chain does not end at its recorded head'
    return None


def overdue(log, newest, now, max_age):
    """Why the chain has gone unwitnessed for too long, or None.

    Too long: the newest witness is older than ``max_age`` (a timedelta)
    and so is the first entry after it.  Then the schedule has stopped (or
    was stopped), and everything since could be cut unnoticed.  A quiet
    trail (nothing after the newest witness) needs no new witness, and an
    entry younger than ``max_age`` is inside the window.  Both times are
    asked because an entry is stamped when it is recorded, and sealed onto
    the chain (where a witness sees it) a little later.
    """
    if log is None or log.head_seq <= newest.seq:
        return None
    first = log.entries.get(newest.seq + 1)
    if first is None:       # (unreached() reports a chain that skips)
        return None
    cutoff = now - max_age
    try:
        recorded = parse_stamp(first[1])
    except ValueError:
        recorded = cutoff
    if parse_stamp(newest.at) > cutoff or recorded > cutoff:
        return None
    return ('the newest, witness line %d (entry %d), is from %s, and entry %d, recorded %s, '
            'and %d after it are not witnessed' % (
                newest.number, newest.seq, newest.at, newest.seq + 1, first[1],
                log.head_seq - newest.seq - 1))
