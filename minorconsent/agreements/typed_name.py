"""Is a typed name the signer's own?  The rule a signature's typed name
must meet (``signing.sign``), with its reasons in ``typed_name_matches``.
"""
import unicodedata


def _name_words(name):
    """The words of a name, without accents, case or punctuation (Hangul
    syllables, which decompose into letters, are composed again)."""
    plain = unicodedata.normalize('NFC', ''.join(
        ch for ch in unicodedata.normalize('NFKD', name or '')
        if not unicodedata.combining(ch)).casefold())
    return [w for w in ''.join(ch if ch.isalnum() else ' ' for ch in plain).split() if w]


def typed_name_matches(typed_name, account_name):
    """Is ``typed_name`` the account holder's own name, and nothing else?

    The rule (docs/SECURITY.md, "Agreements, invitations and signatures"):
    accents, case and punctuation are ignored.  With the account name's
    first word as the given name and its last as the family name, the
    typed name is one of

    * given [middle ...] family: "Elena Alvarez", "elena álvarez",
      "Elena M. Alvarez", "Elena María Alvarez";
    * family, given [middle ...] (the comma may be left out):
      "ALVAREZ, Elena", "Alvarez Elena M."; the account's own middle words
      may stand before the family name ("García López, Elena" for Elena
      García López, "van Beethoven, Ludwig").

    Nothing may come before or after it, so no one else's name travels
    with it: "Jamie Fairhaven Alex", "Victor Alvarez (Elena Alvarez)" and
    "Elena Alvarez for Victor Alvarez" are refused.  The middle words are
    the account's middle names (any of them, in order, in full or as an
    initial) plus initials and at most one other word (a middle name the
    account does not show), never the given or family name again; so
    "Elena for Victor Alvarez" is refused too.  The given name is needed
    in full: "E. Alvarez" is anyone's in the family.  A hyphenated or
    apostrophed name matches with or without its punctuation ("Anne Marie
    ONeill" for Anne-Marie O'Neill).  A one-word account name must be typed
    as that word alone.  A name in a script written without spaces
    (Chinese, Japanese, Korean) must be the whole name, family and given
    name in either order, with or without a space ("王小明" or "王 小明",
    never "王小明的丈夫李四").

    Why not an exact match: people type middle names, drop accents on a
    phone keyboard or put the family name first, and refusing them proves
    nothing.  Why the given name in full and nothing around the name: the
    people who could sign in someone else's place (a parent, a
    step-parent, a sibling) usually share the family name, so the given
    name is what tells them apart, and a typed name holding another
    person's name would put that name on the certificate (the account,
    signed in, is the identity; the typed name is the signer's adoption of
    the signature).  An account without a name accepts any typed name of
    two characters.
    """
    parts = [_squashed(part) for part in (account_name or '').split()]
    parts = [part for part in parts if part]
    if not parts:
        return True
    typed = _name_words(typed_name)
    if not typed:
        return False
    if all(_written_without_spaces(part) for part in parts):
        return ''.join(typed) in {''.join(parts), ''.join(reversed(parts))}
    if len(parts) == 1:
        return ''.join(typed) == parts[0]
    given, middles, family = parts[0], parts[1:-1], parts[-1]
    return (_given_first(typed, given, middles, family)
            or _family_first(typed, given, middles, family))


def _run(words, start, part):
    """The index after ``part`` when ``words[start:]`` begins with it (its
    punctuation gone: "o neill" is "oneill"), else None."""
    joined = ''
    for end in range(start, len(words)):
        joined += words[end]
        if joined == part:
            return end + 1
        if not part.startswith(joined):
            return None
    return None


def _ends_with(words, start, part):
    """The index where ``part`` ends ``words`` (not before ``start``), or None."""
    for begin in range(len(words) - 1, start - 1, -1):
        if _run(words, begin, part) == len(words):
            return begin
    return None


def _given_first(typed, given, middles, family):
    after_given = _run(typed, 0, given)
    if after_given is None:
        return False
    before_family = _ends_with(typed, after_given, family)
    return before_family is not None and _middle_words(
        typed[after_given:before_family], middles, {given, family})


def _family_first(typed, given, middles, family):
    """Family, given [middle ...]; the account's own middle words (a
    two-word family name, "van") may come before the family name."""
    at, used = 0, 0
    while True:
        after_family = _run(typed, at, family)
        if after_family is not None:
            after_given = _run(typed, after_family, given)
            if after_given is not None and _middle_words(
                    typed[after_given:], middles[used:], {given, family}):
                return True
        for index in range(used, len(middles)):
            after = _run(typed, at, middles[index])
            if after is not None:
                at, used = after, index + 1
                break
        else:
            return False


def _middle_words(words, middles, names):
    """Can ``words`` stand between given and family name?  The account's
    middle names (in order, in full or as an initial, any left out),
    initials, and at most one other word that is not the given or family
    name."""
    def fits(at, next_middle, others):
        if at == len(words):
            return True
        for index in range(next_middle, len(middles)):
            after = _run(words, at, middles[index])
            if after is not None and fits(after, index + 1, others):
                return True
            if words[at] == middles[index][0] and fits(at + 1, index + 1, others):
                return True
        if len(words[at]) == 1 and fits(at + 1, next_middle, others):
            return True
        return (others == 0 and words[at] not in names
                and fits(at + 1, next_middle, others + 1))
    return len(words) <= 12 and fits(0, 0, 0)


def _squashed(part):
    """One word of a name, its punctuation removed ("O'Neill": "oneill")."""
    return ''.join(_name_words(part))


def _written_without_spaces(part):
    """Chinese, Japanese and Korean names are often typed without spaces
    between the family and the given name (wide characters)."""
    return all(unicodedata.east_asian_width(ch) in ('W', 'F') for ch in part)
