"""One Chameleon template compiles at a time.

Chameleon compiles a template the first time it renders, in whichever
request thread gets there first.  Under load right after a start, several
threads compile at once, and CPython 3.11's AST constructor can then fail
with "SystemError: AST constructor recursion depth mismatch" (seen in
``bench/pages.py``: the error page itself failed to render).  Compiling
under one lock costs nothing once each template is compiled.
"""
import threading

from chameleon.template import BaseTemplate

_LOCK = threading.RLock()
#: Chameleon's own ``_cook`` (parse, generate code, compile), called under the lock.
_original_cook = None


def _serialized_cook(self, body, name, builtins):
    with _LOCK:
        return _original_cook(self, body, name, builtins)


def serialize_template_compilation():
    """Route ``BaseTemplate._cook`` through the lock; idempotent."""
    global _original_cook
    if BaseTemplate._cook is _serialized_cook:
        return
    _original_cook = BaseTemplate._cook
    BaseTemplate._cook = _serialized_cook
