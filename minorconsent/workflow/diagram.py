"""An SVG diagram of a workflow, drawn in pure Python.

States are boxes laid out in columns by their distance from the initial
state; transitions are arrows labelled with their titles.  Arrows that go
back to an earlier column curve below the boxes so they stay readable.
The SVG carries a <title> and <desc> for screen readers and contains no
script.
"""
from collections import deque
from html import escape

BOX_W, BOX_H = 150, 46
COL_GAP, ROW_GAP = 90, 40
MARGIN = 30


def _columns(workflow):
    depth = {workflow.initial_state: 0}
    queue = deque([workflow.initial_state])
    while queue:
        sid = queue.popleft()
        for t in workflow.transitions_from(sid):
            if t.to_state not in depth and workflow.has_state(t.to_state):
                depth[t.to_state] = depth[sid] + 1
                queue.append(t.to_state)
    last = max(depth.values(), default=0)
    for state in workflow.states:          # unreachable states: a last column
        depth.setdefault(state.id, last + 1)
    columns = {}
    for state in workflow.states:
        columns.setdefault(depth[state.id], []).append(state)
    return columns


def render_svg(workflow):
    columns = _columns(workflow)
    pos = {}
    for col, states in columns.items():
        for row, state in enumerate(states):
            pos[state.id] = (MARGIN + col * (BOX_W + COL_GAP),
                             MARGIN + 20 + row * (BOX_H + ROW_GAP))
    width = MARGIN * 2 + (max(columns) + 1) * (BOX_W + COL_GAP) - COL_GAP
    height = MARGIN * 2 + 20 + max(len(s) for s in columns.values()) * (BOX_H + ROW_GAP) + 60
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" role="img" '
           'viewBox="0 0 %d %d" width="%d" height="%d" aria-labelledby="wf-title wf-desc">'
           % (width, height, width, height),
           '<title id="wf-title">%s</title>' % escape(workflow.title),
           '<desc id="wf-desc">%s</desc>' % escape(describe(workflow)),
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
           'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
           '<path d="M0,0 L10,5 L0,10 z" fill="#1d2530"/></marker></defs>']
    for n, t in enumerate(workflow.transitions):
        for source in t.from_states:
            if source in pos and t.to_state in pos:
                out.append(_arrow(pos[source], pos[t.to_state], t.title, n))
    for state in workflow.states:
        x, y = pos[state.id]
        initial = state.id == workflow.initial_state
        final = not workflow.transitions_from(state.id)
        out.append('<g class="state" data-state="%s">' % escape(state.id))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" rx="8" fill="%s" '
                   'stroke="#1d2530" stroke-width="%d"/>'
                   % (x, y, BOX_W, BOX_H, '#e8eef7' if not final else '#f1f1f1',
                      3 if initial else 1))
        out.append('<text x="%d" y="%d" text-anchor="middle" font-size="14" '
                   'font-family="sans-serif" fill="#1d2530">%s</text>'
                   % (x + BOX_W // 2, y + BOX_H // 2 + 5, escape(state.title)))
        out.append('</g>')
    out.append('</svg>')
    return '\n'.join(out)


def _arrow(a, b, label, n):
    (ax, ay), (bx, by) = a, b
    if bx > ax:       # forward: right edge to left edge
        x1, y1, x2, y2 = ax + BOX_W, ay + BOX_H // 2, bx, by + BOX_H // 2
        path = 'M%d,%d L%d,%d' % (x1, y1, x2, y2)
        lx, ly = (x1 + x2) // 2, (y1 + y2) // 2 - 6
    else:             # back or same column: curve below
        x1, y1 = ax + BOX_W // 2 + 10, ay + BOX_H
        x2, y2 = bx + BOX_W // 2 - 10, by + BOX_H
        dip = max(y1, y2) + 30 + (n % 3) * 12
        path = 'M%d,%d C%d,%d %d,%d %d,%d' % (x1, y1, x1, dip, x2, dip, x2, y2)
        lx, ly = (x1 + x2) // 2, dip - 2
    return ('<g class="transition"><path d="%s" fill="none" stroke="#1d2530" '
            'stroke-width="1.5" marker-end="url(#arrow)"/>'
            '<text x="%d" y="%d" text-anchor="middle" font-size="11" '
            'font-family="sans-serif" fill="#4a5566">%s</text></g>'
            % (path, lx, ly, escape(label)))


def describe(workflow):
    """The diagram in words, for screen readers."""
    parts = ['Starts in %s.' % workflow.state(workflow.initial_state).title
             if workflow.has_state(workflow.initial_state) else '']
    for t in workflow.transitions:
        sources = ', '.join(workflow.state(s).title for s in t.from_states
                            if workflow.has_state(s))
        target = workflow.state(t.to_state).title if workflow.has_state(t.to_state) else t.to_state
        parts.append('%s: from %s to %s.' % (t.title, sources, target))
    return ' '.join(p for p in parts if p)
