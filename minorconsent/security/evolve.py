"""The security room's evolve steps (``site/evolve.py``), registered from
``__init__.py``; the database records each step's name."""
from .sessions import SessionStore


def add_session_store(root, registry):
    root.sessions = SessionStore()
