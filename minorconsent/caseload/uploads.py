"""Where an uploaded caseload file waits between its check and the import.

The admin's page checks a file first (a dry run), then imports on
confirmation.  The confirmation must import exactly the file that was
checked, with the options it was checked with, so the file is kept on the
server under its SHA-256 (in a folder of the admin's own, in the system's
temporary directory) and the confirmation carries only that hash; the
file's bytes are hashed again before the import.  Nothing of the file
travels back to the browser.

Files older than ``MAX_AGE`` are removed whenever a new one is kept, and a
file is removed once imported.
"""
import contextlib
import hashlib
import json
import os
import re
import tempfile
import time

MAX_AGE = 24 * 3600
#: Where the folders are (None: the system's temporary directory).
ROOT = None
SHA = re.compile(r'^[0-9a-f]{64}$')


class UploadTooLarge(ValueError):
    pass


def folder_for(user_id, root=None):
    safe = re.sub(r'[^A-Za-z0-9]', '_', user_id or 'anonymous')
    path = os.path.join(root or ROOT or tempfile.gettempdir(), 'minorconsent-caseload', safe)
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def keep(fp, user_id, options, limit, root=None):
    """Copy the uploaded stream (at most ``limit`` bytes, else
    ``UploadTooLarge``) into the admin's folder; return its SHA-256."""
    folder = folder_for(user_id, root)
    _prune(folder)
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(dir=folder, suffix='.part')
    size = 0
    try:
        with os.fdopen(handle, 'wb') as out:
            for block in iter(lambda: fp.read(1 << 16), b''):
                size += len(block)
                if size > limit:
                    raise UploadTooLarge()
                digest.update(block)
                out.write(block)
        sha = digest.hexdigest()
        os.replace(partial, os.path.join(folder, sha))
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    with open(os.path.join(folder, sha + '.json'), 'w') as f:
        json.dump(options, f)
    return sha


def find(user_id, sha, root=None):
    """``(path, options)`` of a kept file whose bytes still hash to
    ``sha``, or None."""
    if not SHA.match(sha or ''):
        return None
    folder = folder_for(user_id, root)
    path = os.path.join(folder, sha)
    try:
        with open(path + '.json') as f:
            options = json.load(f)
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
    except (OSError, ValueError):
        return None
    return (path, options) if digest.hexdigest() == sha else None


def discard(user_id, sha, root=None):
    if not SHA.match(sha or ''):
        return
    folder = folder_for(user_id, root)
    for name in (sha, sha + '.json'):
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass


def _prune(folder, now=None):
    now = now or time.time()
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if now - os.path.getmtime(path) > MAX_AGE:
                os.unlink(path)
        except OSError:
            pass



def private_copy(path):
    """``(copy, sha256)``: ``path`` copied, while hashed, to a file only
    this process's user may read (0600; the caller removes it).  Both
    passes of an import read the copy, so the rows written are the rows
    checked even if the file is changed (an autosave, another operator)
    between them.  ``OSError`` when ``path`` cannot be read."""
    handle, copy = tempfile.mkstemp(prefix='minorconsent-import-', suffix='.part')
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, 'wb') as out, open(path, 'rb') as source:
            for block in iter(lambda: source.read(1 << 20), b''):
                digest.update(block)
                out.write(block)
    except BaseException:
        remove(copy)
        raise
    return copy, digest.hexdigest()


def remove(path):
    with contextlib.suppress(OSError):
        os.unlink(path)
