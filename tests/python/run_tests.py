"""run_tests.py - run the pycylon tests with pytest (ctest's python/pytest calls this).

Fails (never skips) when pytest, NumPy, pandas or the built extension are missing, saying
how to get them: scripts/install-deps installs the Debian packages (python3-pytest,
python3-numpy, python3-pandas, python3-dev) and the build makes build/python/pycylon.
"""
import importlib
import os
import sys

missing = []
for name in ("pytest", "numpy", "pandas"):
    try:
        importlib.import_module(name)
    except ImportError:
        missing.append(name)
if missing:
    sys.exit("pycylon tests need %s for %s: run scripts/install-deps (as root or with sudo)"
             % (", ".join(missing), sys.executable))
try:
    import pycylon  # noqa: F401
except ImportError as e:
    sys.exit("cannot import pycylon (%s): build it (scripts/build) and put build/python on "
             "PYTHONPATH" % e)

import pytest  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", here] + sys.argv[1:]))
