"""The site: what every room stands on.

``model``: the clinic, root of the resource tree; ``route``: the one route
it lives under and ``request.clinic`` / ``request.clinic_url``;
``folder``: BTree containers; ``evolve``: schema evolution by named steps;
``settings``: the clinic-wide settings; ``daily``: the rooms' tasks that
time alone makes due, run by ``minorconsent-daily``; ``forms``: the one form base;
``i18n`` and ``messages``: languages and status messages; ``hidden``: the
placeholder road for records a person may not see; ``views``: the layout,
home, error pages and the clinic settings page.
"""
from .forms import use_clinic_templates
from .model import ROOT_KEY, Clinic, bootstrap_clinic, find_clinic  # noqa: F401
from .route import ROUTE, clinic_url, request_clinic, root_factory  # noqa: F401
from .templating import serialize_template_compilation


def includeme(config):
    config.add_directive('add_evolve_step',
                         'minorconsent.site.evolve:add_evolve_step')
    config.include('.daily')
    use_clinic_templates()
    serialize_template_compilation()
    config.include('.i18n')
    config.include('.jinja')
    config.include('.views')
    config.include('.hidden')
