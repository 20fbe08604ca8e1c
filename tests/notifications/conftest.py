from tests.pipeline.conftest import consumer, notifications  # noqa: F401  (the in-process worker fixtures)
