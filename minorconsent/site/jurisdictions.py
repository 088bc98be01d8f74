"""The age at which a minor may consent to outpatient mental health care on
their own, by jurisdiction.

Seeded with the examples in ../shared/DOMAIN.md; the admin edits the table
(clinic settings), and a jurisdiction missing from it uses the clinic's
default age.  Some rules have conditions the table cannot hold (Illinois
limits the number of sessions before a parent must consent; Pennsylvania
lets minor and parent each consent, neither overriding the other): the
therapist still decides whether to run an agreement with the minor.
"""
import re

SELF_CONSENT_AGES = {
    'US-CA': 12,
    'US-CO': 12,
    'US-IL': 12,
    'US-WA': 13,
    'US-PA': 14,
    'US-TX': 18,
}

LINE = re.compile(r'^\s*([A-Z]{2}(?:-[A-Z0-9]{1,3})?)\s*[=:]\s*(\d{1,2})\s*$')


def format_table(table):
    return '\n'.join('%s = %d' % item for item in sorted(table.items()))


def parse_table(text):
    """``(table, problems)`` from lines like ``US-CA = 12``."""
    table, problems = {}, []
    for number, line in enumerate((text or '').splitlines(), 1):
        if not line.strip():
            continue
        match = LINE.match(line)
        if match is None:
            problems.append('Line %d: write it like "US-CA = 12".' % number)
            continue
        code, age = match.group(1), int(match.group(2))
        if not 10 <= age <= 25:
            problems.append('Line %d: the age must be between 10 and 25.' % number)
        elif code in table:
            problems.append('Line %d: %s is listed twice.' % (number, code))
        else:
            table[code] = age
    return table, problems


#: Records retention by jurisdiction: ``code -> (years after the last
#: service, for a minor at least until this age)``.  None is shipped: state
#: rules differ and change, and a wrong default erases records too early;
#: the clinic enters its own, and a jurisdiction not listed uses the
#: clinic's two default numbers.
RETENTION_LINE = re.compile(
    r'^\s*([A-Z]{2}(?:-[A-Z0-9]{1,3})?)\s*[=:]\s*(\d{1,2})\s*,\s*(\d{1,2})\s*$')


def format_retention_table(table):
    return '\n'.join('%s = %d, %d' % (code, years, age)
                     for code, (years, age) in sorted(table.items()))


def parse_retention_table(text):
    """``(table, problems)`` from lines like ``US-FL = 7, 25``."""
    table, problems = {}, []
    for number, line in enumerate((text or '').splitlines(), 1):
        if not line.strip():
            continue
        match = RETENTION_LINE.match(line)
        if match is None:
            problems.append('Line %d: write it like "US-FL = 7, 25" (years after the last '
                            'service, then the age a minor\'s records are kept until).' % number)
            continue
        code, years, age = match.group(1), int(match.group(2)), int(match.group(3))
        if not 1 <= years <= 50:
            problems.append('Line %d: the years must be between 1 and 50.' % number)
        elif not 18 <= age <= 40:
            problems.append('Line %d: the age must be between 18 and 40.' % number)
        elif code in table:
            problems.append('Line %d: %s is listed twice.' % (number, code))
        else:
            table[code] = (years, age)
    return table, problems
