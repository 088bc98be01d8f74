"""Languages: English and Spanish for what families read.

Guardian-facing pages, emails and PDFs are translated with Pyramid's i18n
(gettext catalogs in ``minorconsent/locale``); what therapists write
(summaries, goal titles, agreement texts) stays as written.  The language
is the signed-in person's preference, else the browser's Accept-Language
(the sign-in page, an invitation), else English.

Catalogs: ``python3 dev.py catalogs`` extracts the strings (lingua),
merges them into each language's ``.po`` and compiles the ``.mo`` files
that ship in the package.
"""
from pyramid.i18n import TranslationStringFactory, get_localizer, make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.threadlocal import get_current_request
from pyramid_chameleon.interfaces import IChameleonTranslate
from webob.acceptparse import create_accept_language_header

from .memo import per_app

DOMAIN = 'minorconsent'
_ = TranslationStringFactory(DOMAIN)

LANGUAGES = (('en', 'English'), ('es', 'Español'))
CODES = tuple(code for code, _name in LANGUAGES)
DEFAULT = 'en'


def locale_negotiator(request):
    """The person's saved language, else the browser's best match."""
    identity = getattr(request, 'identity', None)
    language = getattr(identity.user, 'language', None) if identity is not None else None
    if language in CODES:
        return language
    return browser_language(request.headers.get('Accept-Language', ''))


#: Longer Accept-Language headers are read up to their last comma before
#: this (a browser sends a few dozen characters; parsing is linear in them).
HEADER_LIMIT = 500


def browser_language(header):
    """The best of our languages for an Accept-Language header, by weight
    then order, a regional tag counting for its language (``es-MX``:
    Spanish), English when none fits (WebOb's RFC 4647 lookup; ``*`` and
    a header it cannot read count as no preference)."""
    if len(header) > HEADER_LIMIT:
        header = header[:HEADER_LIMIT].rpartition(',')[0]
    return create_accept_language_header(header).lookup(CODES, default=DEFAULT)


#: Most translations in a page are of fixed msgids; catalogs do not change
#: while the process runs, so their results are kept per language.  Bounded,
#: because a template may also pass text that came from data.
_MEMO_LIMIT = 20_000
_memo = {}


def _remember(key, value):
    if len(_memo) >= _MEMO_LIMIT:
        _memo.clear()
    _memo[key] = value
    return value


def translate(request, text, mapping=None):
    """``text`` (a msgid) in the request's language."""
    if mapping is None and type(text) is str:
        key = (request.locale_name, text)
        found = _memo.get(key)
        if found is None:
            found = _remember(key, get_localizer(request).translate(_(text)))
        return found
    return get_localizer(request).translate(_(text, mapping=mapping))


class MemoChameleonTranslate:
    """The templates' ``i18n:translate`` with the same per-language memo.

    Wraps the ``IChameleonTranslate`` utility pyramid_chameleon registers
    (``translationstring.ChameleonTranslate``), which builds a
    TranslationString and looks up the localizer on every call: about a
    fifth of a family page's rendering time before this memo.  Only plain
    msgids without a mapping are remembered.  Chameleon passes an empty
    marker as ``default`` and checks the answer by identity, so when the
    translation *is* that marker, the memo hands back the caller's own.
    """

    _DEFAULT = object()

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, msgid, domain=None, mapping=None, context=None,
                 target_language=None, default=None):
        if mapping or type(msgid) is not str or (default is not None and type(default) is not str
                                                and default):
            return self.inner(msgid, domain, mapping, context, target_language, default)
        request = get_current_request()
        if request is None:
            return self.inner(msgid, domain, mapping, context, target_language, default)
        marker = default is not None and not default
        key = ('tal', request.locale_name, target_language, domain, context, msgid,
               None if marker else default, marker)
        found = _memo.get(key)
        if found is None:
            result = self.inner(msgid, domain, mapping, context, target_language, default)
            found = _remember(key, self._DEFAULT if (marker and result is default) else result)
            return result
        return default if found is self._DEFAULT else found


def memoize_template_translation(registry):
    inner = registry.queryUtility(IChameleonTranslate)
    if inner is not None and not isinstance(inner, MemoChameleonTranslate):
        registry.registerUtility(MemoChameleonTranslate(inner), IChameleonTranslate)


def deform_translator(term):
    """deform/colander labels and messages in the current request's language."""
    request = get_current_request()
    if request is None:
        return term.interpolate() if hasattr(term, 'interpolate') else term
    return get_localizer(request).translate(term)


def includeme(config):
    config.set_locale_negotiator(locale_negotiator)
    config.add_translation_dirs('colander:locale/', 'deform:locale/',
                                'minorconsent:locale/')
    # After pyramid_chameleon registers its translator (its action runs at
    # order 1000).
    config.action(None, callable=memoize_template_translation, args=(config.registry,),
                  order=1001)


#: Words that reach families from data rather than templates: goal ratings,
#: document kinds and the shipped workflows' state titles.  Listed here so
#: extraction finds them; templates translate them with ``t()``.  A title an
#: admin writes is not in the catalog and is shown as written.
SHIPPED_WORDS = (
    _('In progress'), _('Improving'), _('Harder lately'), _('No change'), _('Achieved'),
    _('Keeping it up'), _('Not achieved'), _('No progress yet'), _('Not attainable for now'),
    _('Not rated yet'), _('Harder'), _('No ratings yet'),
    _('Consent to treatment'), _('Confidentiality agreement'), _('Release of information'),
    _('Draft'), _('Sent for signature'), _('Active'), _('Declined'), _('Revoked'),
    _('Expired'), _('Superseded'), _('Proposed'), _('Ended'), _('Published'),
    _('My family'), _('My page'),
    # Agreement events, on a signer's PDF copy.
    _('started'), _('sent'), _('invited'), _('viewed'), _('signed'), _('declined'),
    _('revoked'), _('superseded'), _('activated'), _('not invited'),
    _('invitations cancelled'), _('proposed'), _('withdrawn'), _('ended'),
)


def localizer_for(request, language):
    """A localizer for someone other than the requester (an email's
    recipient): their saved language, else English."""
    language = language if language in CODES else DEFAULT
    cache = per_app(request.registry, 'localizers')
    if language not in cache:
        directories = request.registry.queryUtility(ITranslationDirectories, default=[])
        cache[language] = make_localizer(language, directories)
    return cache[language]
