"""What changes between two versions of a workflow, in plain sentences."""


def changes(old, new):
    said = []
    say = said.append
    if old.title != new.title:
        say('Renamed the workflow from "%s" to "%s".' % (old.title, new.title))
    if old.initial_state != new.initial_state:
        say('New objects now start in "%s" instead of "%s".'
            % (new.initial_state, old.initial_state))
    old_states = {s.id: s for s in old.states}
    new_states = {s.id: s for s in new.states}
    for sid in old_states.keys() - new_states.keys():
        say('Removed the state "%s".' % old_states[sid].title)
    for sid in new_states.keys() - old_states.keys():
        say('Added the state "%s".' % new_states[sid].title)
    for sid in sorted(old_states.keys() & new_states.keys()):
        a, b = old_states[sid], new_states[sid]
        if a.title != b.title:
            say('Renamed the state "%s" to "%s".' % (a.title, b.title))
        if a.description != b.description:
            say('Changed the description of "%s".' % b.title)
        if a.activates_consent != b.activates_consent:
            say('"%s" %s consent.' % (b.title, 'now activates' if b.activates_consent
                                      else 'no longer activates'))
        roles = sorted(set(dict(a.permissions)) | set(dict(b.permissions)))
        for role in roles:
            before, after = set(a.granted(role)), set(b.granted(role))
            if after - before:
                say('In "%s", %s may now: %s.' % (b.title, role, ', '.join(sorted(after - before))))
            if before - after:
                say('In "%s", %s may no longer: %s.' % (b.title, role, ', '.join(sorted(before - after))))
    old_t = {t.id: t for t in old.transitions}
    new_t = {t.id: t for t in new.transitions}
    for tid in old_t.keys() - new_t.keys():
        say('Removed the step "%s".' % old_t[tid].title)
    for tid in new_t.keys() - old_t.keys():
        t = new_t[tid]
        say('Added the step "%s" from %s to %s.' % (t.title, ', '.join(t.from_states), t.to_state))
    for tid in sorted(old_t.keys() & new_t.keys()):
        a, b = old_t[tid], new_t[tid]
        for attr, label in (('title', 'title'), ('from_states', 'starting states'),
                            ('to_state', 'target state'), ('roles', 'who may do it'),
                            ('permission', 'required permission'), ('guards', 'conditions'),
                            ('comment_required', 'whether a comment is required')):
            if getattr(a, attr) != getattr(b, attr):
                say('Changed the %s of the step "%s".' % (label, b.title))
    return said
