"""Presentation shared by the command line and the demos: rich tables for humans.

Below ``cli/`` and ``demo/`` (the CLI runs the demos, and the demos draw the same tables),
so neither has to import the other's modules to print a rule.
"""
