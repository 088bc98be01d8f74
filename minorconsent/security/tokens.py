"""What is stored of a secret token.

A session cookie, a password-reset or email-change link, an invitation to
sign: each is a random token the person holds, and the database keeps only
its SHA-256, so a copy of the database holds no token that works.  One
function for all of them, so no store can keep a token in the clear by
accident or hash it differently from the code that looks it up.
"""
import hashlib


def token_hash(token):
    """The stored form of ``token`` (hex SHA-256 of its UTF-8 bytes)."""
    return hashlib.sha256(token.encode('utf-8')).hexdigest()
