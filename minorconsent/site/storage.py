"""The directories a configured FileStorage needs, made before ZODB opens it.

ZODB creates ``Data.fs`` but not the folder it lives in, so on a fresh
clone (no ``var/``, which only ``dev.py`` made) the server and every
console script died with ``FileNotFoundError: var/Data.fs.lock`` (issue 18
item 3).  The app's ``includeme`` and the scripts' ``clinic_transaction``
both call ``make_storage_directories``.
"""
import logging
import os
from urllib.parse import parse_qsl

log = logging.getLogger(__name__)

#: The settings that name a ZODB database: ``zodbconn.uri`` and the named
#: ones (``zodbconn.uri.audit``).
URI_KEY = 'zodbconn.uri'


class StorageDirectoryError(Exception):
    """A directory a configured storage needs is missing and cannot be made."""


def storage_directories(settings):
    """``[(setting, directory)]`` each configured FileStorage needs: the
    folder holding its file and its ``blobstorage_dir``.  Read as zodburi
    reads a ``file://`` URI (path, then ``?`` and the query); other
    storages (RelStorage's ``postgres://``, ``memory://``) need none."""
    found = []
    for key in sorted(settings):
        if key != URI_KEY and not key.startswith(URI_KEY + '.'):
            continue
        uri = settings[key] or ''
        if not uri.startswith('file://'):
            continue
        path, _, query = uri[len('file://'):].partition('?')
        found.append((key, os.path.dirname(os.path.abspath(path))))
        blobs = dict(parse_qsl(query)).get('blobstorage_dir')
        if blobs:
            found.append((key + ' blobstorage_dir', os.path.abspath(blobs)))
    return found


def make_storage_directories(settings):
    """Make the missing directories of the configured FileStorages; return
    those made.  A folder that cannot be made is named with the setting
    that asks for it (``StorageDirectoryError``), instead of ZODB's bare
    ``FileNotFoundError`` on its lock file."""
    made = []
    for key, directory in storage_directories(settings):
        if os.path.isdir(directory):
            continue
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StorageDirectoryError(
                'The directory %s (for %s) is missing and could not be made: %s. '
                'Create it, or point %s elsewhere.' % (
                    directory, key, exc.strerror or exc, key.split(' ')[0])) from exc
        log.info('made %s (for %s)', directory, key)
        made.append(directory)
    return made
