"""One request class for the standalone app, made once at start-up.

``config.add_request_method`` (ours: ``clinic``, ``clinic_url``,
``mailer``, ``api_grant``; pyramid_tm's ``tm``) registers *request
extensions*.  Pyramid's router applies them to every request it makes with
``apply_request_extensions``, which, as soon as one property is registered,
builds a brand-new subclass of the request class with ``type(...)`` for
that one request (``InstancePropertyHelper.apply_properties``): about 40 µs
of every page view (issue 20), and a new class for the type caches to meet
each time.

``fold_request_extensions(app)``, called by ``main`` once the configuration
is committed, puts the very same descriptors (reified properties) and
methods on one subclass of the registered request factory, registers that
class as the factory and tells the router it has no extensions left to
apply.  Nothing is shared between requests: a ``reify`` descriptor on a
class stores its value in the *instance's* ``__dict__`` at first use, as it
did on the per-request classes.

The registry keeps its extensions: ``pyramid.scripting.prepare`` (the
scripts' ``bootstrap``, the daily run in the server) applies them to the
request it is given, which may be any request (``Request.blank``), so
``request.tm``, ``request.clinic`` and ``request.mailer`` keep working
there exactly as before.  A request of the folded class passed there gets
the same descriptors once more, on a subclass of its own: correct, and
only scripts pay for it.
"""
from pyramid.interfaces import IRequestExtensions, IRequestFactory
from pyramid.request import Request


def request_class(registry):
    """The registered request factory with every registered extension on
    the class itself (or the factory unchanged when none is registered)."""
    base = registry.queryUtility(IRequestFactory, default=Request)
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None or not (extensions.descriptors or extensions.methods):
        return base
    if not isinstance(base, type):
        raise TypeError('the request factory %r is not a class: its requests '
                        'cannot carry the extensions on their class' % (base,))
    attrs = {}
    # A method on the class binds on access, as apply_request_extensions's
    # ``fn.__get__(request, cls)`` did on each request.
    attrs.update(extensions.methods)
    attrs.update(extensions.descriptors)
    attrs['__module__'] = __name__
    attrs['__doc__'] = ('%s with the request extensions of the clinic\'s '
                        'configuration on the class (site/request.py).'
                        % base.__name__)
    return type(base.__name__, (base,), attrs)


def fold_request_extensions(app):
    """Make the router ``app`` build requests of one class carrying every
    registered extension, and apply none per request.  Returns the class.

    Call it after the configuration is committed (``make_wsgi_app``): an
    extension registered later would be applied by no one.
    """
    registry = app.registry
    cls = request_class(registry)
    registry.registerUtility(cls, IRequestFactory)
    app.request_factory = cls
    # Router.request_context and Router.invoke_subrequest (pyramid_retry
    # makes each attempt's request with the former) apply these per request
    # when set: the class carries them now.
    app.request_extensions = None
    return cls
