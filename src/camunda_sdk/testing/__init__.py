"""Testing helpers: a pytest plugin for recorded-cassette integration tests.

The plugin (:mod:`camunda_sdk.testing.plugin`) is registered through the
``pytest11`` entry point, so it is active wherever ``camunda_sdk`` is installed;
it needs vcrpy only when a test uses a cassette. See ``docs/testing.md``.
"""
