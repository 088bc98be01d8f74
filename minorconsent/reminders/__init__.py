"""Reminders: a person a document waits for is nudged, content-free, until
they act or the reason ends (issue 17 item 2)."""


def includeme(config):
    pass
