"""The caseload columns: the one list the import reads and the export writes.

One row per guardian link (a client with no guardian on record is one row
with the guardian columns empty).  Each column has a parser that turns the
text of a cell into the stored value or raises ``Problem`` with the plain
reason an operator reads, and a writer that turns the stored value back
into the text the parser accepts.  The import and the export both use this
module and nothing else for the columns, so import -> export -> import
changes nothing (tests/caseload, the export's round trip).

Why the vocabulary is generous on the way in and strict on the way out:
spreadsheets arrive with "Yes", "TRUE", "Step parent" or "Spanish"; the
export always writes the canonical word ("yes", "step-parent", "es"), so a
file that went out and comes back in compares equal.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime

import colander

from minorconsent.clients import RELATIONSHIPS

#: Words a yes/no cell may hold (compared case-folded, stripped).
YES = frozenset({'yes', 'y', 'true', '1', 'x', 'si', 'sí', 'ja', 'oui'})
NO = frozenset({'no', 'n', 'false', '0', 'non', 'nein'})

#: Languages the portal and its mail are written in, and their other names.
LANGUAGES = {'en': 'en', 'english': 'en', 'inglés': 'en', 'ingles': 'en',
             'es': 'es', 'spanish': 'es', 'español': 'es', 'espanol': 'es'}

EMAIL = re.compile(colander.EMAIL_RE)
CLIENT_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._\-/#:]{0,63}$')
JURISDICTION = re.compile(r'^[A-Z]{2}(-[A-Z0-9]{1,3})?$')
NAME_MAX = 100


class Problem(ValueError):
    """A cell that cannot be read: the message is the plain reason, without
    the row and column (the caller adds them)."""


@dataclass(frozen=True)
class Column:
    name: str
    required: bool          # a row without it is refused
    parse: object           # text -> value (raises Problem); '' is "not given"
    write: object           # value -> text
    help: str               # what docs/CASELOAD.md and the template say
    group: str              # 'client', 'guardian' or 'contact'
    default: object = None  # the value of an empty optional cell


def _no_controls(text):
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text):
        raise Problem('contains invisible control characters')
    return text


def parse_client_id(text):
    if not CLIENT_ID.match(text):
        raise Problem('%s is not a client id: letters, digits and . _ - / # : only, '
                      'at most 64, starting with a letter or digit' % shown(text))
    return text


def parse_name(text):
    _no_controls(text)
    if len(text) > NAME_MAX:
        raise Problem('longer than %d characters' % NAME_MAX)
    return ' '.join(text.split())


def parse_date(value):
    """ISO dates (YYYY-MM-DD), or the date a spreadsheet cell already holds."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not re.match(r'^\d{4}-\d{2}-\d{2}$', text):
        raise Problem('%s is not a date: write it as YYYY-MM-DD' % shown(text))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Problem('%s is not a date' % shown(text)) from None


def write_date(value):
    return value.isoformat() if value else ''


def parse_email(text):
    text = text.strip().lower()
    if len(text) > 254 or not EMAIL.match(text):
        raise Problem('%s is not an email address' % shown(text))
    return text


def parse_emails(text):
    """One or more addresses (a client with two therapists), separated by
    spaces, commas or semicolons; kept sorted, without repeats."""
    found = sorted({parse_email(part) for part in re.split(r'[\s,;]+', text) if part})
    if not found:
        raise Problem('no email address given')
    if len(found) > 10:
        raise Problem('at most 10 addresses')
    return tuple(found)


def write_emails(value):
    return ' '.join(sorted(value or ()))


def parse_jurisdiction(text):
    code = text.strip().upper()
    if not JURISDICTION.match(code):
        raise Problem('%s is not a jurisdiction code such as US-CA' % shown(text))
    return code


def _fold(text):
    return ' '.join(str(text).strip().casefold().replace('_', ' ').replace('-', ' ').split())


_RELATIONSHIP_WORDS = {}
for _key, _title in RELATIONSHIPS:
    _RELATIONSHIP_WORDS[_fold(_key)] = _key
    _RELATIONSHIP_WORDS[_fold(_title)] = _key
    _RELATIONSHIP_WORDS[_fold(_key).replace(' ', '')] = _key


def parse_relationship(text):
    found = _RELATIONSHIP_WORDS.get(_fold(text)) or \
        _RELATIONSHIP_WORDS.get(_fold(text).replace(' ', ''))
    if found is None:
        raise Problem('%s is not a relationship; use one of: %s'
                      % (shown(text), ', '.join(key for key, _ in RELATIONSHIPS)))
    return found


def parse_yes_no(value):
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in YES:
        return True
    if word in NO:
        return False
    raise Problem('%s is neither yes nor no' % shown(str(value)))


def write_yes_no(value):
    return 'yes' if value else 'no'


def parse_language(text):
    found = LANGUAGES.get(str(text).strip().casefold())
    if found is None:
        raise Problem('%s is not a language the portal offers (en or es)' % shown(text))
    return found


def _text(value):
    return '' if value is None else str(value)


def shown(text, limit=40):
    """A cell's text as a problem quotes it: short, one line, and with
    control characters shown as ``?`` (the report is plain text, escaped
    where it is rendered)."""
    text = ''.join(ch if ch.isprintable() else '?' for ch in str(text))
    return '"%s"' % (text if len(text) <= limit else text[:limit] + '...')


COLUMNS = (
    Column('client_id', True, parse_client_id, _text,
           "the clinic's own id of the client (the key for re-runs)", 'client'),
    Column('client_given_name', True, parse_name, _text, "the client's given name", 'client'),
    Column('client_family_name', True, parse_name, _text, "the client's family name", 'client'),
    Column('date_of_birth', True, parse_date, write_date,
           'YYYY-MM-DD; the client must be a minor today', 'client'),
    Column('jurisdiction', False, parse_jurisdiction, _text,
           "e.g. US-CA; empty: the clinic's own", 'client', ''),
    Column('therapist_email', True, parse_emails, write_emails,
           "the therapist's sign-in address (several: separated by spaces)", 'client'),
    Column('client_email', False, parse_email, _text,
           "the adolescent's own address for their own sign-in (optional)", 'client', ''),
    Column('guardian_given_name', False, parse_name, _text, "the guardian's given name",
           'guardian', ''),
    Column('guardian_family_name', False, parse_name, _text, "the guardian's family name",
           'guardian', ''),
    Column('guardian_email', False, parse_email, _text,
           "the guardian's address (empty: a row for a client without a guardian)",
           'guardian', ''),
    Column('relationship', False, parse_relationship, _text,
           'one of: ' + ', '.join(key for key, _ in RELATIONSHIPS), 'guardian', 'parent'),
    Column('legal_authority', False, parse_yes_no, write_yes_no,
           'yes or no: holds legal authority to consent (required with a guardian)',
           'guardian', None),
    Column('restricted', False, parse_yes_no, write_yes_no,
           'yes or no: barred by a court order (empty: no)', 'guardian', False),
    Column('language', False, parse_language, _text,
           'en or es: the language the guardian reads (empty: not known)', 'guardian', ''),
    Column('contact_email', False, parse_yes_no, write_yes_no,
           'yes or no: email allowed (empty: yes)', 'contact', True),
    Column('contact_text', False, parse_yes_no, write_yes_no,
           'yes or no: text messages allowed (empty: no)', 'contact', False),
    Column('contact_phone', False, parse_yes_no, write_yes_no,
           'yes or no: phone calls allowed (empty: yes)', 'contact', True),
    Column('contact_voicemail', False, parse_yes_no, write_yes_no,
           'yes or no: voicemail may be left (empty: no)', 'contact', False),
)

NAMES = tuple(column.name for column in COLUMNS)
BY_NAME = {column.name: column for column in COLUMNS}
REQUIRED = tuple(column.name for column in COLUMNS if column.required)
CLIENT_COLUMNS = tuple(c.name for c in COLUMNS if c.group == 'client')
GUARDIAN_COLUMNS = tuple(c.name for c in COLUMNS if c.group != 'client')

#: Contact columns -> ``ContactPreferences`` fields.
CONTACT_FIELDS = {'contact_email': 'email_ok', 'contact_text': 'sms_ok',
                  'contact_phone': 'phone_ok', 'contact_voicemail': 'voicemail_ok'}
#: Link columns -> ``GuardianLink`` fields.
LINK_FIELDS = ('relationship', 'legal_authority', 'restricted')


#: What ``site.csvsafe.cell`` puts an apostrophe before (a spreadsheet
#: would run the cell as a formula); the reader takes it off again.
FORMULA_START = ('=', '+', '-', '@', '\t', '\r')


def unneutralised(text):
    """A cell as it was before the export neutralised it: ``'=Kim`` is
    ``=Kim`` (a name that begins with = + - @ comes back as it went out)."""
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        return text[1:]
    return text


def parse_row(cells):
    """``(values, problems)`` for one row given as ``{column: cell}``.

    ``values`` holds every column (the default for an empty optional one);
    ``problems`` is a list of ``(column, reason)``.  Never raises for any
    cell content: a parser's ``Problem`` becomes a problem, and so would
    anything unexpected (a cell of a type no parser knows)."""
    values, problems = {}, []
    for column in COLUMNS:
        raw = cells.get(column.name)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if empty:
            if column.required:
                problems.append((column.name, 'is empty; this column is required'))
            values[column.name] = column.default
            continue
        if not isinstance(raw, (str, date, bool)):
            raw = str(raw)
        if isinstance(raw, str):
            raw = unneutralised(raw)
        try:
            values[column.name] = column.parse(raw.strip() if isinstance(raw, str) else raw)
        except Problem as exc:
            problems.append((column.name, str(exc)))
            values[column.name] = column.default
        except Exception:   # noqa: BLE001 - a cell must never stop the import
            problems.append((column.name, 'cannot be read'))
            values[column.name] = column.default
    if values['guardian_email']:
        for name in ('guardian_given_name', 'guardian_family_name'):
            if not values[name] and not any(c == name for c, _ in problems):
                problems.append((name, 'is empty; a guardian needs a name'))
        if values['legal_authority'] is None and not any(
                c == 'legal_authority' for c, _ in problems):
            problems.append(('legal_authority', 'is empty; say yes or no for a guardian'))
    elif any(values[name] for name in ('guardian_given_name', 'guardian_family_name')):
        problems.append(('guardian_email', 'is empty; a guardian needs an address'))
    return values, problems


def split_name(display_name):
    """``(given, family)`` of a display name: the last word is the family
    name (how an account made outside the import is written back)."""
    parts = (display_name or '').rsplit(' ', 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], '')


def guardian_names(user):
    """The given and family name the import stored on the account, else
    the display name split."""
    given, family = getattr(user, 'given_name', None), getattr(user, 'family_name', None)
    if given is not None and family is not None:
        return given, family
    return split_name(user.display_name)


def external_id(client):
    """The clinic's own id of ``client`` (set by the import or the seed);
    a client added in the app, which has none, is known by the app's own
    id, so its exported row imports back onto it (``store.find_client``)."""
    return getattr(client, 'external_id', None) or client.__name__


def row_for(client, link, users):
    """The caseload row (``{column: text}``) of ``client`` and one guardian
    ``link`` (None: the client's row without a guardian), as the import
    reads it back.  ``users`` is the clinic's ``users`` folder.

    Contact permissions are the link's (the guardian's preferences for this
    child); on a row without a guardian, the client's own.
    """
    therapists = tuple(users[tid].email for tid in client.therapist_ids if tid in users)
    own = users.get(client.self_account_id) if client.self_account_id else None
    values = {
        'client_id': external_id(client),
        'client_given_name': client.first_name,
        'client_family_name': client.last_name,
        'date_of_birth': client.date_of_birth,
        'jurisdiction': getattr(client, 'jurisdiction', '') or '',
        'therapist_email': therapists,
        'client_email': own.email if own is not None else '',
    }
    guardian = users.get(link.guardian_id) if link is not None else None
    if link is None or guardian is None:
        values.update({name: '' for name in GUARDIAN_COLUMNS})
        contact = client.contact
    else:
        given, family = guardian_names(guardian)
        values.update({
            'guardian_given_name': given, 'guardian_family_name': family,
            'guardian_email': guardian.email, 'relationship': link.relationship,
            'legal_authority': link.legal_authority, 'restricted': link.restricted,
            'language': guardian.language or ''})
        contact = link.contact
    for name, field in CONTACT_FIELDS.items():
        values[name] = getattr(contact, field)
    return {column.name: ('' if values[column.name] == '' else column.write(values[column.name]))
            for column in COLUMNS}


def rows_for(client, users):
    """Every caseload row of ``client``: one per guardian link, in link
    order, or one without a guardian."""
    links = list(client['guardians'].values())
    if not links:
        return [row_for(client, None, users)]
    return [row_for(client, link, users) for link in links]
