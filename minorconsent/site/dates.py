"""Dates and times as the reader reads them: in the clinic's time zone, in
the reader's language and its usual format ("6 de diciembre de 2026",
"Dec 6, 2026, 9:05 AM").

Everything is stored in UTC (``clock``); only what a person reads is
converted, here, with Babel's CLDR data (no hand-written month names).
A clinic's time zone is a setting (an IANA name such as
``America/Los_Angeles``); an unknown one reads as UTC rather than failing
a page.  ISO 8601 stays where a machine or an auditor reads it (the audit
trail, FHIR, exports, the fingerprint details).
"""
import re
from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time

ISO_DAY = re.compile(r'^\d{4}-\d{2}-\d{2}$')

#: The app's languages, as Babel names them.
LOCALES = {'en': 'en_US', 'es': 'es_US'}


def clinic_zone(settings):
    try:
        return ZoneInfo(getattr(settings, 'time_zone', None) or 'UTC')
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def is_time_zone(name):
    """Whether ``name`` is an IANA time zone this machine knows."""
    return name in available_timezones()


def local(settings, moment):
    """``moment`` (aware, UTC) in the clinic's zone."""
    return moment.astimezone(clinic_zone(settings))


@lru_cache(maxsize=4096)
def _day_in(day, form, locale):
    """Babel's words for a day (about 20 µs each; a family page writes a
    few dozen, mostly the same days on every view: remembered)."""
    return babel_date(day, form, locale=locale)


def reader_date(settings, language, value, form='long'):
    """A date (or the day of a datetime, in the clinic's zone) for a reader."""
    if isinstance(value, datetime):
        value = local(settings, value).date()
    return _day_in(value, form, LOCALES.get(language, 'en_US'))


def reader_datetime(settings, language, moment):
    """A moment for a reader ("Dec 6, 2026, 9:05 AM PST"), in the clinic's
    zone, with the zone's short name so a parent elsewhere knows whose
    clock it is."""
    moment = local(settings, moment)
    locale = LOCALES.get(language, 'en_US')
    joined = str(Locale.parse(locale).datetime_formats['medium'])   # e.g. "{1}, {0}"
    return '%s %s' % (joined.replace('{1}', babel_date(moment.date(), 'medium', locale=locale))
                      .replace('{0}', babel_time(moment.time(), 'short', locale=locale)),
                      moment.strftime('%Z'))


def for_request(request):
    """``(on, at)``: date and datetime formatters for templates, in the
    request's language when called (a staff preview switches to the
    family's language part way: ``portal.preview``), on the clinic's clock.
    ``on`` also takes ISO date text (a chart point's day)."""
    settings = request.clinic.settings

    def on(value, form='long'):
        if isinstance(value, str) and ISO_DAY.match(value):
            value = date.fromisoformat(value)
        return reader_date(settings, request.locale_name, value, form) if isinstance(
            value, (date, datetime)) else value

    def at(value):
        return reader_datetime(settings, request.locale_name, value) if isinstance(
            value, datetime) else value
    return on, at
