"""
A migration fixture: a small DRF project (project/) written the way real ones are, served
twice in one process — once as written, on DRF's classes (``tests.migration.project``), once
ported by changing only its views' base classes (``tests.migration.ported``, see porting.py) —
so that parity.py can send both the same requests and compare the answers.

tests/test_migration.py runs parity.py in a fresh interpreter with settings.py: a project's
DEFAULT_* settings are read when DRF's modules are first imported.
"""
