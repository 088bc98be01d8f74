"""Templates compile one at a time, whatever the number of threads."""
import threading
import time

from chameleon import PageTemplate
from chameleon.template import BaseTemplate

from minorconsent.site import templating


def test_concurrent_first_renders_never_compile_in_parallel(app, monkeypatch):
    templating.serialize_template_compilation()        # idempotent
    assert BaseTemplate._cook is templating._serialized_cook
    chameleon_cook = templating._original_cook
    running, seen = [0], []
    count = threading.Lock()

    def slow_cook(self, body, name, builtins):
        with count:
            running[0] += 1
            seen.append(running[0])
        time.sleep(0.01)             # widen the window a race would need
        try:
            return chameleon_cook(self, body, name, builtins)
        finally:
            with count:
                running[0] -= 1
    monkeypatch.setattr(templating, '_original_cook', slow_cook)
    results = []
    threads = [threading.Thread(target=lambda n=n: results.append(
        PageTemplate('<p>${x}</p><!-- %d -->' % n)(x=n))) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and max(seen) == 1        # never two at once
    assert sorted(results) == ['<p>%d</p><!-- %d -->' % (n, n) for n in range(8)]
