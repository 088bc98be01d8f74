"""Exceptions to confidentiality, releases of information, insurer exports
and third-party requests: each recorded, shared minimally, and audited.

``rules``: recording a disclosure, and a guardian's safety notices;
``model``: the ``Disclosure``; ``releases``, ``insurer``, ``requests``;
``views``, ``schemas``.  This module registers them (and the consent and
release facts ``clients.family`` decides from), and names what other rooms
import.
"""
from minorconsent.agreements.model import client_consents_alone, consented_guardians
from minorconsent.clients.family import CONSENTED, CONSENTS_ALONE, RELEASED

from .model import FAMILY_STATES, Disclosure, DisclosureRefused
from .releases import released_to_guardians
from .requests import ThirdPartyRequest
from .rules import record_disclosure, safety_notices


def includeme(config):
    config.add_client_container('disclosures', Disclosure)
    config.add_client_container('requests', ThirdPartyRequest)
    # The consent and release facts ``clients.family`` decides from.
    config.add_family_fact(CONSENTED, consented_guardians)
    config.add_family_fact(CONSENTS_ALONE, client_consents_alone)
    config.add_family_fact(RELEASED, released_to_guardians)
    config.require_workflow_step('disclosure', 'record_without_signoff', 'where the client has '
                                 'no supervisor to sign a disclosure off, the system records '
                                 'it at once with this step', from_initial=True,
                                 guards=('client_has_no_supervisor',))
    config.require_workflow_state('disclosure', 'recorded', 'a guardian reads a disclosure '
                                  'addressed to them once it is recorded, and a supervisor '
                                  'signs it off first wherever the client has one',
                                  guards_into=('client_has_no_supervisor',),
                                  exempt_roles=('supervisor',))
    config.declare_family_states('disclosure', 'a guardian reads only the words disclosed to '
                                 'them, once signed off; the client reads no disclosure in the '
                                 'portal', **FAMILY_STATES)
    config.require_workflow_state('release', 'active', 'information may be shared under a '
                                  'release only while it is in this state')
    config.require_workflow_state('consent', 'active', 'a client consents on their own only '
                                  'under their consent in this state')
    # POST <disclosure>/step: the workflow room's one step view.
    config.add_step_view(Disclosure)
    config.scan('.views')


__all__ = ['DisclosureRefused', 'record_disclosure', 'safety_notices']
