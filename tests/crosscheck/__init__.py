"""Cross-checks of lrsim against real Keras (``nox -s crosscheck``); see conftest.py."""
