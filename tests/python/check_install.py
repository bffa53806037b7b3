"""check_install.py - `cmake --install BUILD --component pycylon` gives a working package.

    python3 tests/python/check_install.py BUILD_DIR SITE_PACKAGES_DIR

Installs into a temporary DESTDIR, then imports pycylon in a fresh python whose path has
only that copy (not the build tree) and runs a merge against pandas. Exit 0 on success.
"""
import os
import subprocess
import sys
import tempfile

build, site = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as dest:
    env = dict(os.environ, DESTDIR=dest)
    subprocess.run(["cmake", "--install", build, "--component", "pycylon"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    installed = dest + site
    env = dict(os.environ, PYTHONPATH=installed)
    code = (
        "import pycylon, pandas as pd\n"
        "assert pycylon.__file__.startswith(%r), pycylon.__file__\n"
        "a = {'k': [1, 2, 3], 'v': [1.0, 2.0, 3.0]}\n"
        "b = {'k': [3, 1], 'w': ['x', 'y']}\n"
        "got = pycylon.DataFrame(a).merge(pycylon.DataFrame(b), on='k').sort_values('k')\n"
        "want = pd.DataFrame(a).merge(pd.DataFrame(b), on='k').sort_values('k')\n"
        "pd.testing.assert_frame_equal(got.to_pandas(), want.reset_index(drop=True))\n"
    ) % installed
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=dest)
print("check_install: pycylon installed and imported from", installed)
