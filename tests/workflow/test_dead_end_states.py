"""An admin cannot publish a state nobody at the clinic can see, nor one
nobody can leave.

The reported case: a "Supervisor review" state with no permissions; the
therapist's step into it then led to "page not found" for therapist and
supervisor alike.  A state where no staff role has "view", and a state with
steps out none of which anybody can take, are refused with the state named
(next to the state in the editor); a final state (no steps out) is fine.
"""
from minorconsent.workflow import workflow_requirements
from minorconsent.workflow.definition import parse, to_data
from minorconsent.workflow.validate import problems
from support import ROLE_EMAILS, csrf_of, sign_in

from test_admin_views import BASE, edit_draft
from test_definitions import shipped
from wfsupport import GUARDS

REVIEW = {'title': 'Supervisor review', 'permissions': {}}
INTO = {'id': 'send_to_supervisor', 'title': 'Send to supervisor', 'from': ['draft'],
        'to': 'supervisor_review', 'roles': ['therapist']}
OUT = {'id': 'approve', 'title': 'Approve', 'from': ['supervisor_review'], 'to': 'published',
       'roles': ['supervisor'], 'guards': ['minor_agreed_if_reviewed']}


def with_review(permissions, out=OUT):
    data = to_data(shipped()['parent-summary'])
    data['states']['supervisor_review'] = dict(REVIEW, permissions=permissions)
    data['transitions'] += [INTO] + ([out] if out else [])
    return data


def about(found, state):
    return [p for p in found if p.state == state]


def test_a_state_no_staff_role_can_see_is_named(app):
    required = workflow_requirements(app.registry)
    found = problems(parse(with_review({})), GUARDS, required)
    mine = about(found, 'supervisor_review')
    assert 'Nobody at the clinic can see a document in "supervisor_review": give the ' \
        'therapist or the supervisor "view" there.' in mine
    assert any(p.field == 'perm_therapist' for p in mine)
    # The supervisor seeing it is enough (and lets them take "approve"),
    # with a way on where the client has no supervisor.
    data = with_review({'supervisor': ['view', 'edit']})
    assert [p.state for p in problems(parse(data), GUARDS, required)] == ['supervisor_review']
    data['states']['supervisor_review']['permissions']['therapist'] = ['view']
    data['transitions'].append(dict(OUT, id='no_supervisor', roles=['therapist'],
                                    guards=['client_has_no_supervisor',
                                            'minor_agreed_if_reviewed']))
    assert problems(parse(data), GUARDS, required) == []


def test_a_state_nobody_can_leave_is_named(app):
    required = workflow_requirements(app.registry)
    # The therapist sees it, but only the supervisor may approve, and the
    # supervisor has no part there.
    found = problems(parse(with_review({'therapist': ['view']})), GUARDS, required)
    assert 'Nobody can take a step out of "supervisor_review" ("approve"): give one of them ' \
        'a role that may see or act in "supervisor_review", or make it a final state.' in \
        about(found, 'supervisor_review')
    # A guardian's step does not count where they have no part ...
    guardian_out = dict(OUT, roles=['guardian'])
    found = problems(parse(with_review({'therapist': ['view']}, guardian_out)), GUARDS, required)
    assert any(p.startswith('Nobody can take a step out of "supervisor_review"')
               for p in found)
    # ... nor the system's, unless the code fires that step.
    system_out = dict(OUT, roles=['system'])
    found = problems(parse(with_review({'therapist': ['view']}, system_out)), GUARDS, required)
    assert any(p.startswith('Nobody can take a step out of "supervisor_review"')
               for p in found)
    # A final state is a way to end, not a trap (here: unreachable onwards
    # is fine; it has no steps out).
    found = problems(parse(with_review({'therapist': ['view']}, out=None)), GUARDS, required)
    assert not any('Nobody' in p for p in found)


def test_the_editor_says_it_on_the_state_and_publishing_waits(app, clinic):
    admin = sign_in(app, ROLE_EMAILS['admin'])

    def add_review(source):
        return source + '''
[states.supervisor_review]
title = "Supervisor review"

[[transitions]]
id = "send_to_supervisor"
title = "Send to supervisor"
from = ["draft"]
to = "supervisor_review"
roles = ["therapist"]

[[transitions]]
id = "approve"
title = "Approve"
from = ["supervisor_review"]
to = "published"
roles = ["supervisor"]
'''
    res = edit_draft(admin, add_review, 400)
    assert 'Nobody at the clinic can see a document in "supervisor_review"' in \
        ' '.join(res.html.get_text().split())
    with clinic() as c:     # as if saved by an older app: the editor shows it
        c['workflows']['parent-summary'].draft = add_review(
            c['workflows']['parent-summary'].versions[1])
    page = admin.get(BASE + 'edit')
    card = page.html.find('a', href='http://localhost/workflows/parent-summary/state?id='
                          'supervisor_review').find_parent('li')
    words = ' '.join(card.get_text(' ').split())
    assert 'Nobody at the clinic can see a document in "supervisor_review"' in words
    assert 'Nobody can take a step out of "supervisor_review"' in words
    res = admin.post(BASE + 'publish', {'csrf_token': csrf_of(page)}, status=400)
    with clinic() as c:
        assert c['workflows']['parent-summary'].current == 1


def test_documents_never_start_past_a_guard(app):
    """Like a move, the starting state puts a document somewhere without a
    step: never into a consent-activating state, nor one only a guarded
    step leads to (new consents would start active, new summaries
    published)."""
    required = workflow_requirements(app.registry)
    consent = to_data(shipped()['consent-to-treatment'])
    consent['initial_state'] = 'active'
    consent['transitions'].append({'id': 'resend', 'title': 'Send again', 'from': ['active'],
                                   'to': 'sent', 'roles': ['therapist']})
    found = ' '.join(problems(parse(consent), GUARDS, required))
    assert 'The initial state "active" activates consent' in found
    summary = to_data(shipped()['parent-summary'])
    summary['initial_state'] = 'published'
    found = ' '.join(problems(parse(summary), GUARDS, required))
    assert 'The initial state "published" is reached by "publish" and "publish_reviewed" ' \
        'only when' in found
