"""Where an uploaded caseload file waits between its check and the import.

The admin's page checks a file first (a dry run), then imports on
confirmation.  The confirmation must import exactly the file that was
checked, with the options it was checked with.  So each admin has ONE
pending upload, named by a random token (``secrets``), whose JSON holds
the file's SHA-256 and the options; a new check replaces it, so a form
confirmed later never imports a file or options another check left (the
options cannot be swapped between check and confirm).  The confirmation
carries only the token; the file's bytes are hashed again before the
import.  Nothing of the file travels back to the browser.

The folders live under the configured ``var/`` directory (beside a
FileStorage's Data.fs, or ``minorconsent.caseload.upload_dir``), never in
a shared temporary directory, and each is checked with ``lstat`` before
use: a directory, not a symlink, owned by this process's user, mode 0700.
Every admin's files older than ``MAX_AGE`` are removed on each upload; a
file is removed once imported.
"""
import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
import tempfile
import time

MAX_AGE = 24 * 3600
#: A fixed root (tests); None: from the settings (``root_for``).
ROOT = None
SETTING = 'minorconsent.caseload.upload_dir'
TOKEN = re.compile(r'^[A-Za-z0-9_-]{32,64}$')


class UploadTooLarge(ValueError):
    pass


class UnsafeFolder(OSError):
    """The upload folder is not this process's private directory."""


def root_for(settings):
    """``caseload-uploads`` beside a FileStorage's Data.fs (``var/``), or
    the configured folder; else ``var/caseload-uploads``."""
    if ROOT:
        return ROOT
    path = (settings or {}).get(SETTING)
    uri = (settings or {}).get('zodbconn.uri') or ''
    if not path and uri.startswith('file://'):
        path = os.path.join(os.path.dirname(uri[len('file://'):].split('?')[0]),
                            'caseload-uploads')
    return os.path.abspath(path or os.path.join('var', 'caseload-uploads'))


def _private(path):
    """Make ``path`` (0700) if missing; refuse it unless it is a real
    directory of ours that nobody else may enter."""
    with contextlib.suppress(FileExistsError):
        os.makedirs(path, mode=0o700)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) \
            or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) != 0o700:
        raise UnsafeFolder('%s is not a private folder (mode 0700, owned by the server\'s '
                           'user, not a link)' % path)
    return path


def folder_for(user_id, settings=None):
    root = _private(root_for(settings))
    safe = re.sub(r'[^A-Za-z0-9]', '_', user_id or 'anonymous')
    return _private(os.path.join(root, safe))


def keep(fp, user_id, options, limit, settings=None):
    """Copy the uploaded stream (at most ``limit`` bytes, else
    ``UploadTooLarge``) into the admin's folder as their one pending
    upload; return its token."""
    folder = folder_for(user_id, settings)
    prune(os.path.dirname(folder))
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
        _clear(folder, keep=partial)       # one pending upload per admin
        token = secrets.token_urlsafe(32)
        with open(os.path.join(folder, token + '.json'), 'w') as f:
            json.dump({'sha256': digest.hexdigest(), 'options': options}, f)
        os.replace(partial, os.path.join(folder, token))
    except BaseException:
        remove(partial)
        raise
    return token


def find(user_id, token, settings=None):
    """``(path, sha256, options)`` of the admin's pending upload named by
    ``token`` whose bytes still hash to the SHA-256 it was checked with,
    or None."""
    if not TOKEN.match(token or ''):
        return None
    path = os.path.join(folder_for(user_id, settings), token)
    try:
        with open(path + '.json') as f:
            kept = json.load(f)
        digest = hashlib.sha256()
        with open(path, 'rb') as f:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        sha, options = kept['sha256'], kept['options']
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (path, sha, options) if digest.hexdigest() == sha else None


def discard(user_id, token, settings=None):
    if TOKEN.match(token or ''):
        folder = folder_for(user_id, settings)
        for name in (token, token + '.json'):
            remove(os.path.join(folder, name))


def prune(root, now=None):
    """Remove every admin's files older than ``MAX_AGE`` (a check never
    confirmed leaves names and addresses behind)."""
    now = now or time.time()
    for name in os.listdir(root):
        folder = os.path.join(root, name)
        with contextlib.suppress(OSError):
            info = os.lstat(folder)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            for entry in os.listdir(folder):
                path = os.path.join(folder, entry)
                if now - os.lstat(path).st_mtime > MAX_AGE:
                    remove(path)


def _clear(folder, keep):
    for entry in os.listdir(folder):
        path = os.path.join(folder, entry)
        if path != keep:
            remove(path)


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
