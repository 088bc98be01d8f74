"""Parent progress summaries: progress on goals, summaries under the
summary workflow, and what guardians may read of them (through the parent
view only).

``model``: goals' progress and the ``Summary``; ``progress``: correcting a
progress entry; ``drafts``: writing one and correcting a withdrawn one;
``guards``: the adolescent's review in the workflow; ``audience``: who
could read a summary and whether the client must review it first;
``subscribers``: what a step sets off; ``notify``: the mail to guardians;
``views``, ``goal_views`` (a goal's staff page), ``schemas``; ``evolve``.
This module registers them, and names what other rooms import.
"""
from .drafts import NotCorrectable, write_correction, write_summary
from .guards import minor_agreed, minor_agreed_if_reviewed
from .model import ACHIEVEMENT, FAMILY_STATES, Summary, add_progress


def includeme(config):
    config.add_client_container('summaries', Summary)
    config.add_workflow_guard('minor_agreed', minor_agreed)
    config.add_workflow_guard('minor_agreed_if_reviewed', minor_agreed_if_reviewed)
    config.include('.evolve')
    config.declare_family_states('summary', 'guardians read a summary only once it is '
                                 'published, and the client also while reviewing it',
                                 **FAMILY_STATES)
    config.require_workflow_state('summary', 'draft', 'a summary can be edited only in this '
                                  'state')
    config.require_workflow_state('summary', 'minor_review', "the client's review of a summary "
                                  'happens in this state, and publishing checks for it')
    config.require_workflow_state('summary', 'published', 'guardians are told when a summary '
                                  'reaches this state, and a summary the client reviewed '
                                  'reaches it only with their agreement to its text (and, '
                                  'where the clinic makes the review mandatory, only '
                                  'after it)',
                                  guards_into=('minor_agreed_if_reviewed',))
    config.require_workflow_state('summary', 'withdrawn', 'only a summary in this state can be '
                                  'corrected')
    config.require_workflow_state('consent', 'active', 'guardians read summaries only under '
                                  'a consent in this state')
    config.include('.subscribers')
    # POST <summary>/step: the workflow room's one step view.
    config.add_step_view(Summary)
    config.add_directive('set_summary_preview',
                         'minorconsent.summaries.views:set_summary_preview')
    config.scan('.views')
    config.scan('.goal_views')


__all__ = ['ACHIEVEMENT', 'NotCorrectable', 'Summary', 'add_progress', 'write_correction',
           'write_summary']
