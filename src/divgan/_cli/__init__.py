"""The sub-commands behind :mod:`divgan.cli` (the top of the import graph: nothing imports these
but ``divgan.cli``). ``common`` holds what they share; each other module is one sub-command and
imports torch, POT or matplotlib only when it runs."""
