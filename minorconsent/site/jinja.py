"""Jinja2 templates for the pages read most, translated when compiled.

Why a second engine: the family pages and the therapist's client list are
the pages served most.  Profiled, Chameleon spent most of a family page's
rendering in its scope chain (about 570 name lookups a page, each through
``Scope.get``) and in ``i18n:translate`` calls made on every render.
Jinja2 resolves a name once per block, and here each language has its own
``Environment``: a ``{% trans %}`` block is looked up in the catalog while
the template compiles, so the compiled Spanish page holds Spanish text as
constants and translating costs nothing per request.  Every value a
template writes is escaped (``as_chameleon_writes``).  deform's widgets and the other pages stay Chameleon;
the layout is this engine's ``site/templates/layout.jinja2`` for both
(``site.chrome``), so there is one layout.

Message ids are the catalog's own: a ``{% trans %}`` block is read with
its whitespace trimmed and its ``{{ name }}`` placeholders written
``${name}``, exactly the id Chameleon extracts for the same words, so one
catalog serves both engines (``scripts/catalogs.py`` extracts both).
"""
import os
import re
import threading

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound, nodes, pass_context
from jinja2.ext import InternationalizationExtension
from markupsafe import Markup
from pyramid.i18n import TranslationString, make_localizer
from pyramid.interfaces import ITranslationDirectories
from pyramid.path import AssetResolver

from .i18n import CODES, DEFAULT, DOMAIN

#: Jinja's ``%(name)s`` placeholder and the catalog's ``${name}``.
JINJA_NAME = re.compile(r'%\((\w+)\)s')
CATALOG_NAME = re.compile(r'\$\{(\w+)\}')


def catalog_id(singular):
    """The catalog's message id for a trimmed ``{% trans %}`` body."""
    return JINJA_NAME.sub(r'${\1}', singular.replace('%%', '%'))


def as_chameleon_writes(value):
    """Every value a template writes, escaped here, as the Chameleon pages
    escape it: ``None`` writes nothing, an apostrophe stays an apostrophe
    (MarkupSafe would write ``&#39;``), so both engines write the same
    bytes for the same text and a test searching a page for a planted word
    finds it whichever engine wrote the page; markup (``|safe``, a chart)
    is written as it is.  The environments run with Jinja's autoescape
    off because this is the escaping: Jinja passes every ``{{ }}`` through
    ``finalize``, and ``CompiledTranslations`` passes each value of a
    translated sentence through it too.  Plain ``str.replace`` calls: the
    cheapest escaping on CPython (no Markup object made per value)."""
    if type(value) is not str:
        if value is None:
            return ''
        html = getattr(value, '__html__', None)
        if html is not None:
            return html()
        value = str(value)
    return value.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace(
        '"', '&#34;')


def in_tag(value, name):
    """``{{ words|in_tag('strong') }}``: the words, escaped, inside an
    element (a name in a translated sentence: the element stays out of the
    message id)."""
    return Markup('<%s>%s</%s>' % (name, as_chameleon_writes(value), name))


def words_in(localizer, limit=5000):
    """The ``words`` filter of one language: words that come from data
    (a rating, a document kind, a state title, a menu label) in that
    language, remembered (catalogs do not change while the process runs;
    bounded, since data may pass anything).  A filter, not a function
    call: Jinja calls a filter directly, a function through its context."""
    memo = {}

    def words(text):
        found = memo.get(text)
        if found is None:
            found = localizer.translate(TranslationString(text, domain=DOMAIN))
            if len(memo) < limit:
                memo[text] = found
        return found
    return words


@pass_context
def day(context, value):
    """``{{ when|day }}``: a date as the reader reads it (the page's ``on``,
    ``site.dates``: the clinic's time zone, the reader's language)."""
    return context['on'](value)


class CompiledTranslations(InternationalizationExtension):
    """``{% trans %}`` blocks become constants in the environment's language.

    The environment carries ``translate_msgid`` (a msgid to its text in
    that language).  Only singular, context-free blocks are supported: the
    templates need nothing else, and a plural would fail loudly at compile
    time rather than render untranslated."""

    def _make_node(self, singular, plural, context, variables, plural_expr,
                   vars_referenced, num_called_num):
        if plural is not None or context is not None:
            raise NotImplementedError('plural and context translations are not used')
        text = self.environment.translate_msgid(catalog_id(singular))
        if variables:
            # Back to %-formatting: literal percent signs doubled first.
            text = CATALOG_NAME.sub(r'%(\1)s', text.replace('%', '%%'))
        node = nodes.Const(text)
        if variables:
            # Each value escaped as any other the template writes.
            written = nodes.EnvironmentAttribute('finalize')
            node = nodes.Mod(node, nodes.Dict([
                nodes.Pair(nodes.Const(key), nodes.Call(written, [value], [], None, None))
                for key, value in variables.items()]))
        # The sentence is the catalog's (trusted) with escaped values in it.
        return nodes.Output([nodes.MarkSafe(node)])


class AssetLoader(BaseLoader):
    """Templates named by Pyramid asset spec (``package:path``); a name
    with no package is relative to the template that names it is not
    supported: every ``extends`` and ``import`` names its package."""

    def __init__(self, reload):
        self.reload = reload
        self.resolver = AssetResolver()

    def get_source(self, environment, template):
        if ':' not in template:
            raise TemplateNotFound(template)
        path = self.resolver.resolve(template).abspath()
        if not os.path.isfile(path):
            raise TemplateNotFound(template)
        with open(path, encoding='utf-8') as source:
            text = source.read()
        mtime = os.path.getmtime(path)
        return text, path, (lambda: os.path.getmtime(path) == mtime) if self.reload else None


class Environments:
    """One Jinja2 environment per language, made on first use."""

    def __init__(self, registry):
        self.registry = registry
        self.reload = registry.settings.get('pyramid.reload_templates') in (True, 'true')
        self._by_language = {}
        self._lock = threading.Lock()

    def __getitem__(self, language):
        language = language if language in CODES else DEFAULT
        environment = self._by_language.get(language)
        if environment is None:
            with self._lock:
                environment = self._by_language.get(language)
                if environment is None:
                    environment = self._by_language[language] = self._make(language)
        return environment

    def _make(self, language):
        directories = self.registry.queryUtility(ITranslationDirectories, default=[])
        localizer = make_localizer(language, directories)
        environment = Environment(
            loader=AssetLoader(self.reload), autoescape=False, undefined=StrictUndefined,
            extensions=[CompiledTranslations], auto_reload=self.reload,
            finalize=as_chameleon_writes,
            trim_blocks=True, lstrip_blocks=True, cache_size=-1)
        environment.policies['ext.i18n.trimmed'] = True
        environment.filters['in_tag'] = in_tag
        environment.filters['words'] = words_in(localizer)
        environment.filters['day'] = day
        environment.translate_msgid = lambda msgid: localizer.translate(
            TranslationString(msgid, domain=DOMAIN))
        return environment


def template_msgids(source):
    """The catalog ids of a template's ``{% trans %}`` blocks (catalog
    extraction: the very ids the compiler looks up)."""
    found = []
    environment = Environment(autoescape=False, extensions=[CompiledTranslations],
                              finalize=as_chameleon_writes)
    environment.policies['ext.i18n.trimmed'] = True
    environment.translate_msgid = lambda msgid: found.append(msgid) or msgid
    environment.parse(source)
    return found


def asset_spec(info):
    """A view's ``renderer='templates/x.jinja2'`` as an asset spec."""
    name = info.name
    if ':' in name:
        return name
    return '%s:%s' % (info.package.__name__, name)


class JinjaRenderer:
    """Renders ``value`` (the view's dict) with the system values that the
    BeforeRender subscribers set (the layout's globals), in the language
    they name (``lang``)."""

    def __init__(self, info):
        self.spec = asset_spec(info)
        self.environments = environments(info.registry)

    def __call__(self, value, system):
        namespace = dict(system)
        namespace.update(value)
        template = self.environments[namespace.get('lang')].get_template(self.spec)
        return template.render(namespace)


def environments(registry):
    found = registry.__dict__.get('_mc_jinja')
    if found is None:
        found = registry.__dict__.setdefault('_mc_jinja', Environments(registry))
    return found


def render_template(registry, spec, language, values):
    """A template rendered outside a view (the layout's pieces)."""
    return environments(registry)[language].get_template(spec).render(values)


def includeme(config):
    config.add_renderer('.jinja2', JinjaRenderer)
