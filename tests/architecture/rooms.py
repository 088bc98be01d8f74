"""The rooms of the package, their floors, and every import between them.

Run as a script (``.venv/bin/python tests/architecture/rooms.py``) it prints
the imports that run against the floors and the function-local imports of
``minorconsent`` modules; ``test_import_direction.py`` fails on them.

A room may import its own modules and the rooms on lower floors.  Rooms on
one floor import each other only where the floor lists them in that order
(left may not import right).  The audit *trail* -- the recorder and the
chain every write notes itself on -- is a service at the bottom like
``site``; the audit *room* (the trail's pages, the accounting, the
privacy officer) sits at the top with the portal.
"""
import ast
import pathlib
import sys
from dataclasses import dataclass

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / 'minorconsent'

#: Bottom to top.  A floor is a tuple: its rooms, lowest first.
FLOORS = (
    ('trail', 'site'),
    ('workflow', 'security'),
    ('accounts',),
    ('clients',),
    ('agreements', 'disclosures', 'summaries'),
    ('reminders', 'worklist', 'caseload', 'fhirapi', 'audit', 'portal'),
    ('scripts', 'app'),
)

#: Modules that belong to another room than their folder says.
TRAIL = ('minorconsent.audit.recorder', 'minorconsent.audit.chain')


def room_of(module):
    """The room of a dotted module name (``app`` for the package itself)."""
    if module in TRAIL or any(module.startswith(t + '.') for t in TRAIL):
        return 'trail'
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else 'app'


def rank(room):
    """``(floor, place on the floor)``."""
    for floor, rooms in enumerate(FLOORS):
        if room in rooms:
            return floor, rooms.index(room)
    raise KeyError('room %r is on no floor: add it to FLOORS' % room)


@dataclass(frozen=True)
class Import:
    module: str           # the importing module
    target: str           # the imported module
    path: str
    line: int
    local: bool           # inside a function

    @property
    def upward(self):
        """Against the floors: a room importing one above it, or one to its
        right on its own floor."""
        mine, theirs = room_of(self.module), room_of(self.target)
        return mine != theirs and rank(theirs) > rank(mine)

    def __str__(self):
        where = 'function-local ' if self.local else ''
        return '%s:%d %s%s -> %s (%s -> %s)' % (
            self.path, self.line, where, self.module, self.target,
            room_of(self.module), room_of(self.target))


def module_name(path, package=PACKAGE):
    rel = path.relative_to(package.parent).with_suffix('')
    parts = list(rel.parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _targets(node, module, is_package, package_dir):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not node.level:
        return [node.module]
    package = module.split('.') if is_package else module.split('.')[:-1]
    base = '.'.join(package[:len(package) - node.level + 1])
    if node.module:
        return [base + '.' + node.module]
    # ``from . import x``: x may be a module or a name; the package decides.
    def is_module(name):
        path = package_dir.parent / name.replace('.', '/')
        return path.with_suffix('.py').exists() or (path / '__init__.py').exists()
    return [base + '.' + alias.name if is_module(base + '.' + alias.name) else base
            for alias in node.names]


def imports(package=PACKAGE):
    """Every import of a ``minorconsent`` module, in file order."""
    found = []
    for path in sorted(package.rglob('*.py')):
        module = module_name(path, package)
        tree = ast.parse(path.read_text(encoding='utf-8'), str(path))
        local = {id(sub) for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom))}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, module, path.name == '__init__.py', package):
                if target and target.split('.')[0] == 'minorconsent':
                    found.append(Import(module, target, str(path.relative_to(
                        package.parent)), node.lineno, id(node) in local))
    return found


def main():
    found = imports()
    upward = [i for i in found if i.upward]
    local = [i for i in found if i.local]
    print('Imports against the floors: %d' % len(upward))
    for i in upward:
        print('  ' + str(i))
    print('Function-local imports of minorconsent modules: %d' % len(local))
    for i in local:
        print('  ' + str(i))


if __name__ == '__main__':
    sys.exit(main())
