"""Keep waitress's main loop from spinning while a worker thread sends.

Why: in waitress 3.0.2 a task thread writes its response under the
channel's ``outbuf_lock`` and flushes it to the socket itself
(``HTTPChannel.write_soon``).  Meanwhile ``HTTPChannel.writable()`` says
"yes" because ``total_outbufs_len`` is not zero, so whenever the main loop
is awake (another connection's request, another task's trigger) it puts
the socket in select()'s write set, select() returns at once (the socket
*is* writable), ``handle_write`` -> ``_flush_some_if_lockable`` cannot get
the lock, and the loop goes round again until the task lets go.  On a
shared core the spinning thread takes the CPU from the very thread it
waits for: about 60 loop turns and 140 ``handle_write`` calls per request,
about 450 us of CPU per request (issue 20; docs/WAITRESS-SPIN.md).

The fix, as small as it can be and without copying waitress code:

* each channel's ``outbuf_lock`` is a ``threading.Condition`` over a
  :class:`_WatchedLock`, an RLock that knows whether it is held;
* ``writable()`` answers False while the lock is held (only a task thread
  can hold it then: the main loop never asks while holding it itself),
  unless the channel must close;
* when a task thread lets go of the lock -- at the end of a ``with`` or in
  ``Condition.wait()`` -- and output is left to send (or the channel is to
  close), it pulls the server's trigger, so the main loop wakes and asks
  ``writable()`` again.  The store "not held" happens before the pull, so a
  main loop that saw "held" is always woken afterwards: no output is ever
  left waiting for the 1 s loop timeout.

It is applied as a subclass, :class:`SpinFreeChannel`, installed as the
``channel_class`` of waitress's servers by :func:`apply` (idempotent;
:func:`remove` undoes it).  It is written for, and guarded by, the waitress
version in ``WRITTEN_FOR``: any other version gets a warning and its own
unchanged channel, since the lock protocol it relies on may have changed.
``serve_paste`` is the ``egg:minorconsent#waitress`` server runner the ini
files use: it applies the patch, then calls waitress's own.
"""
import importlib.metadata
import logging
import threading
import warnings
import weakref

import waitress
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

#: The waitress releases whose channel.py this patch was read against.
WRITTEN_FOR = ('3.0.2',)

log = logging.getLogger(__name__)


def waitress_version():
    """The installed waitress's version (its distribution metadata)."""
    return importlib.metadata.version('waitress')


class _WatchedLock:
    """An RLock for ``threading.Condition`` that says whether it is held and
    tells its channel when a thread other than the main loop lets go.

    ``_depth`` is changed only by the thread holding the lock, and set to 0
    *before* the real release, so it can never be overwritten by the next
    holder; the main loop reads it without the lock (a plain attribute read
    under the GIL), which is all ``writable()`` needs."""

    __slots__ = ('_lock', '_depth', '_channel', '__weakref__')

    def __init__(self, channel):
        self._lock = threading.RLock()
        self._depth = 0
        # weak: the channel holds the Condition that holds this lock
        self._channel = weakref.ref(channel)

    @property
    def held(self):
        return self._depth > 0

    def acquire(self, blocking=True, timeout=-1):
        got = self._lock.acquire(blocking, timeout)
        if got:
            self._depth += 1
        return got

    __enter__ = acquire

    def release(self):
        self._depth -= 1
        last = self._depth == 0
        self._lock.release()
        if last:
            self._let_go()

    def __exit__(self, *exc):
        self.release()

    # The three methods Condition borrows from an RLock for wait().
    def _is_owned(self):
        return self._lock._is_owned()

    def _release_save(self):
        depth, self._depth = self._depth, 0
        state = self._lock._release_save()
        self._let_go()
        return state, depth

    def _acquire_restore(self, saved):
        state, depth = saved
        self._lock._acquire_restore(state)
        self._depth = depth

    def _let_go(self):
        channel = self._channel()
        if channel is not None:
            channel._outbuf_let_go()


class SpinFreeChannel(HTTPChannel):
    """waitress's ``HTTPChannel`` whose main-loop side does not poll while a
    task thread holds the output buffers (module docstring)."""

    def __init__(self, server, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        # Channels are made by the server's handle_accept: on the loop thread.
        self._loop_thread = threading.get_ident()
        # Nobody can hold the original yet: no request has been read.
        self._outbuf_watch = _WatchedLock(self)
        self.outbuf_lock = threading.Condition(self._outbuf_watch)

    def writable(self):
        if self._outbuf_watch._depth and not self.will_close:
            # A task thread is appending/sending; it pulls the trigger
            # when it lets go with output left (_outbuf_let_go).
            return False
        return super().writable()

    def _outbuf_let_go(self):
        """A thread released ``outbuf_lock`` completely (or is waiting on
        it): wake the main loop if it has something to do here."""
        if threading.get_ident() == self._loop_thread:
            return          # the loop asks writable() again by itself
        if self.connected and (
                self.total_outbufs_len or self.will_close or self.close_when_flushed):
            self.server.pull_trigger()


def applied():
    """True while waitress's servers make :class:`SpinFreeChannel`."""
    return issubclass(BaseWSGIServer.channel_class, SpinFreeChannel)


def apply():
    """Install the fix for every waitress server created afterwards (and for
    running ones: they read ``channel_class`` at each accept).  Idempotent.
    Returns True when the fix is in place, False when skipped because the
    installed waitress is not a version it was written for (with a
    warning: that version's channel.py must be read again)."""
    if applied():
        return True
    version = waitress_version()
    if version not in WRITTEN_FOR:
        message = ('minorconsent.site.waitress_spin: waitress %s is not %s, the '
                   'version(s) this main-loop spin fix was written for; not applied '
                   '(see docs/WAITRESS-SPIN.md)' % (version, ', '.join(WRITTEN_FOR)))
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        log.warning(message)
        return False
    if BaseWSGIServer.channel_class is not HTTPChannel:
        # someone else replaced it: do not stack on an unknown channel
        message = ('minorconsent.site.waitress_spin: waitress channel_class is %r, '
                   'not HTTPChannel; not applied' % (BaseWSGIServer.channel_class,))
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        log.warning(message)
        return False
    BaseWSGIServer.channel_class = SpinFreeChannel
    return True


def remove():
    """Undo :func:`apply` (tests, and comparing with and without)."""
    if applied():
        BaseWSGIServer.channel_class = HTTPChannel


def serve_paste(app, global_conf, **kw):
    """``paste.server_runner`` ``egg:minorconsent#waitress``: waitress's own
    ``serve_paste`` with the spin fix applied first.  Takes every setting
    ``egg:waitress#main`` takes."""
    apply()
    return waitress.serve_paste(app, global_conf, **kw)


def serve(app, **kw):
    """``waitress.serve`` with the spin fix applied first (for scripts that
    start waitress in-process)."""
    apply()
    return waitress.serve(app, **kw)
