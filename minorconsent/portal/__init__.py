"""The guardian and adolescent portal.

Guardian pages render only ``parentview`` objects; see that module.
"""


def includeme(config):
    config.scan('.views')
