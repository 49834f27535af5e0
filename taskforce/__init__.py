"""Entry points: the `taskforce` command line, settings and wiring of the layers."""
