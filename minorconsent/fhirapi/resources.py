"""Patient, RelatedPerson and Goal as the API serves them: whitelisted
projections, each field copied here by name.

Minimum necessary (issue 19): a Patient is the clinic's own client id, the
birth date and the name, nothing else of the record; a RelatedPerson is a
guardian link (its patient, the relationship, the guardian's name), never
a restriction or its private note, nor a guardian's contact details; a Goal
is what guardians were given, as the latest published summary gave it
(the guardian-facing title and description, its rating), never the
therapist's clinical wording, private notes, diagnoses or a draft.  A field
added to a record reaches the API only when it is added here on purpose,
as ``portal/parentview.py`` does for guardians.
"""
from minorconsent.summaries.model import PUBLISHED

from .identifiers import compound, identifier_system

ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode'
ACHIEVEMENT_SYSTEM = 'http://terminology.hl7.org/CodeSystem/goal-achievement'

#: The client record's relationship -> v3 RoleCode (the FHIR
#: patient-relationship value set); the ones it has no code for are the
#: guardian role itself.
RELATIONSHIP_CODES = {
    'mother': ('MTH', 'mother'), 'father': ('FTH', 'father'), 'parent': ('PRN', 'parent'),
    'step-parent': ('STPPRN', 'step parent'), 'grandparent': ('GRPRN', 'grandparent'),
    'foster-parent': ('PRNFOST', 'foster parent'),
}
GUARDIAN_CODE = ('GUARD', 'guardian')

#: FHIR Goal.lifecycleStatus codes the client record's goal statuses use.
LIFECYCLE = ('proposed', 'planned', 'accepted', 'active', 'on-hold', 'completed',
             'cancelled', 'entered-in-error', 'rejected')


def _coding(system, pair):
    return {'system': system, 'code': pair[0], 'display': pair[1]}


def patient_resource(client, registry):
    """The Patient of ``client``: identifier (when the clinic gave the
    client its own id), name and birth date only."""
    resource = {'resourceType': 'Patient', 'id': client.__name__}
    external = getattr(client, 'external_id', None)
    if external:
        resource['identifier'] = [{'use': 'usual', 'system': identifier_system(registry),
                                   'value': external}]
    resource['name'] = [{'use': 'official', 'family': client.last_name,
                         'given': [client.first_name]}]
    if client.date_of_birth is not None:
        resource['birthDate'] = client.date_of_birth.isoformat()
    return resource


def related_person_resource(client, link, users):
    """A guardian link as a RelatedPerson: its patient, the relationship
    (and the guardian role where the link holds legal authority) and the
    guardian's name as the account shows it to staff."""
    relationship = [{'coding': [_coding(ROLE_SYSTEM, RELATIONSHIP_CODES.get(
        link.relationship, GUARDIAN_CODE))]}]
    if link.legal_authority and link.relationship in RELATIONSHIP_CODES:
        relationship.append({'coding': [_coding(ROLE_SYSTEM, GUARDIAN_CODE)]})
    resource = {
        'resourceType': 'RelatedPerson',
        'id': compound(client.__name__, link.guardian_id),
        'patient': {'reference': 'Patient/%s' % client.__name__},
        'relationship': relationship,
    }
    user = users.get(link.guardian_id)
    if user is not None and user.display_name:
        resource['name'] = [{'text': user.display_name}]
    return resource


def related_people(client, users):
    """Every guardian link of ``client`` as a RelatedPerson, by id."""
    return [related_person_resource(client, link, users)
            for _, link in sorted(client['guardians'].items())]


def published_lines(client):
    """``{goal id: GoalLine}``: each goal as the newest published summary
    gave it (a summary a step brought to *published*, never one created or
    moved there, nor a withdrawn one)."""
    if 'summaries' not in client:
        return {}
    found = {}
    summaries = [s for s in client['summaries'].values()
                 if s.state == PUBLISHED and s.history.entered_by_step(PUBLISHED)]
    for summary in sorted(summaries, key=lambda s: s.created):
        for line in summary.goal_lines:
            found[line.goal_id] = line
    return found


def goal_resource(client, goal_id, line, goal):
    """A published goal: the guardian-facing title (and description) as
    published, the rating as published, the goal's standing now."""
    status = goal.status if goal.status in LIFECYCLE else 'active'
    resource = {
        'resourceType': 'Goal',
        'id': compound(client.__name__, goal_id),
        'lifecycleStatus': status,
        'description': {'text': line.title},
        'subject': {'reference': 'Patient/%s' % client.__name__},
    }
    if line.rating:
        resource['achievementStatus'] = {'coding': [{
            'system': ACHIEVEMENT_SYSTEM, 'code': line.rating}]}
    if line.description:
        resource['note'] = [{'text': line.description}]
    return resource


def published_goals(client):
    """The published goals of ``client`` that still exist, by id."""
    goals = client['goals']
    return [goal_resource(client, gid, line, goals[gid])
            for gid, line in sorted(published_lines(client).items()) if gid in goals]


def published_goal(client, goal_id):
    """One published goal, or None (unpublished, a draft's only, gone)."""
    line = published_lines(client).get(goal_id)
    goal = client['goals'].get(goal_id)
    if line is None or goal is None:
        return None
    return goal_resource(client, goal_id, line, goal)
