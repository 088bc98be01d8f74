"""A small workflowed document for exercising the engine without the
consent and summary features (which bring their own content types)."""
from datetime import date

from persistent import Persistent

from minorconsent.accounts import User, Users
from minorconsent.clients import Client, Clients, link_guardian
from minorconsent.security.sessions import SessionStore
from minorconsent.site import Clinic
from minorconsent.site.folder import Folder
from minorconsent.workflow import WorkflowRecord, WorkflowStore
from minorconsent.workflow.definition import to_data
from minorconsent.workflow.engine import Workflowed
from minorconsent.workflow.guards import BUILT_IN

import tomli_w

from minorconsent.agreements import consenting_party_may_consent
from minorconsent.summaries import minor_agreed, minor_agreed_if_reviewed

#: The guards the app registers: the engine's own, the summaries and agreements rooms'.
GUARDS = dict(BUILT_IN, minor_agreed=minor_agreed,
              minor_agreed_if_reviewed=minor_agreed_if_reviewed,
              consenting_party_may_consent=consenting_party_may_consent)


class Doc(Workflowed, Persistent):
    """Lives in ``client['docs']``; signatures are a flag for the tests."""

    signed = False
    assented = False
    #: Answers the agreements' and summaries' guards as their objects do:
    #: guardians consent (``consenting_party_may_consent``), and the
    #: adolescent's agreement to the text (``minor_agreed``,
    #: ``minor_agreed_if_reviewed``).
    minor_consents = False
    review_agreed = False

    def workflow_client(self):
        return self.__parent__.__parent__

    def workflow_local_roles(self):
        client = self.workflow_client()
        clinic = client.__parent__.__parent__
        return client.local_roles(clinic['users'], clinic.settings)

    def required_signatures_complete(self, ctx):
        return self.signed

    def minor_assent_satisfied(self, ctx):
        return self.assented

    def was_reviewed(self):
        return any(e.to_state == 'minor_review' for e in self.history)

    def review_agreed_now(self):
        return self.review_agreed


def family_clinic(workflows):
    """A clinic with one 15-year-old client, a therapist, a supervisor,
    an entitled mother, a restricted father, and the teen's own account."""
    clinic = Clinic()
    clinic.add(Users(), 'users')
    clinic.add(Clients(), 'clients')
    clinic.sessions = SessionStore()
    store = WorkflowStore()
    clinic.add(store, 'workflows')
    for workflow in workflows:
        store.add(WorkflowRecord(tomli_w.dumps(to_data(workflow))), workflow.id)
    people = {}
    for key, roles in (('therapist', ['therapist']), ('supervisor', ['supervisor']),
                       ('mother', ['guardian']), ('father', ['guardian']),
                       ('teen', ['adolescent']), ('stranger', ['therapist'])):
        user = User('%s@demo.test' % key, key.title(), roles)
        clinic['users'].add_user(user)
        people[key] = user
    clinic['users'].set_supervisor(people['therapist'], people['supervisor'].__name__)
    today = date.today()
    client = Client('Kim', 'Doe', date(today.year - 15, 1, 1), [people['therapist'].__name__])
    clinic['clients'].add_client(client)
    client.self_account_id = people['teen'].__name__
    link_guardian(clinic, client, people['mother'], 'mother', True)
    link_guardian(clinic, client, people['father'], 'father', True, restricted=True)
    client.add(Folder(), 'docs')
    return clinic, client, people


def principals(user):
    return ('system.Everyone', 'system.Authenticated', 'user:' + user.__name__) + \
        tuple('role:' + r for r in user.roles)


def declared_registry():
    """A registry holding the rooms' family-state declarations (as the app
    makes them), for engine tests without the app: the engine reads them
    from the current registry and, without them, gives a family nothing."""
    from pyramid.registry import Registry
    from minorconsent.agreements.model import FAMILY_STATES as AGREEMENTS
    from minorconsent.disclosures.model import FAMILY_STATES as DISCLOSURE
    from minorconsent.summaries.model import FAMILY_STATES as SUMMARY
    from minorconsent.workflow import REQUIREMENTS_KEY
    from minorconsent.workflow.requirements import family_requirement
    declared = dict(AGREEMENTS, summary=SUMMARY, disclosure=DISCLOSURE)
    found = {}
    for content_type, roles in declared.items():
        for role, states in roles.items():
            req = family_requirement(content_type, role, states, 'declared by the room')
            found[req.key] = req
    registry = Registry('workflow-tests')
    registry[REQUIREMENTS_KEY] = found
    return registry
