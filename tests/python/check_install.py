"""check_install.py - pycylon installs into a fresh place and works from there.

    python3 tests/python/check_install.py BUILD_DIR SITE_PACKAGES_DIR
    python3 tests/python/check_install.py --pip BUILD_DIR

The first form installs `cmake --install BUILD --component pycylon` into a temporary
DESTDIR; --pip makes a virtual environment (--system-site-packages, for Debian's NumPy
and pandas) and runs `pip install --no-build-isolation --no-index` on a copy of python/
(pyproject.toml, setup.py driving the project's CMake; CYLON_BUILD_DIR=BUILD_DIR so the
module is built incrementally there rather than from scratch). Either way it then imports
pycylon in a fresh python that sees only the installed copy (not the build tree) and runs
a merge against pandas (and, from the venv, a distributed merge on 2 local ranks).
Exit 0 on success.
"""
import os
import shutil
import subprocess
import sys
import tempfile

CHECK = (
    "import pycylon, pandas as pd\n"
    "assert pycylon.__file__.startswith(%r), pycylon.__file__\n"
    "a = {'k': [1, 2, 3], 'v': [1.0, 2.0, 3.0]}\n"
    "b = {'k': [3, 1], 'w': ['x', 'y']}\n"
    "got = pycylon.DataFrame(a).merge(pycylon.DataFrame(b), on='k').sort_values('k')\n"
    "want = pd.DataFrame(a).merge(pd.DataFrame(b), on='k').sort_values('k')\n"
    "pd.testing.assert_frame_equal(got.to_pandas(), want.reset_index(drop=True))\n"
)
DIST_CHECK = (
    "def dist_merge(env):\n"
    "    l = env.share(pycylon.DataFrame(a)); r = env.share(pycylon.DataFrame(b))\n"
    "    return l.merge(r, on='k', env=env).sort_values('k', env=env).to_pandas(env=env)\n"
    "got = pycylon.launch(dist_merge, 2)[0]\n"
    "pd.testing.assert_frame_equal(got, want.reset_index(drop=True))\n"
)


def check_pip(build):
    src = os.environ.get("CYLON_SOURCE_DIR",
                         os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    with tempfile.TemporaryDirectory(prefix="pycylon-pip-") as tmp:
        venv = os.path.join(tmp, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                        "--without-pip", venv],
                       check=True)
        # without its own pip: the venv sees Debian's (a system site package), which
        # installs into the venv when the venv's python runs it
        py = os.path.join(venv, "bin", "python")
        # a copy of python/, so that setuptools' build/ and egg-info stay out of the tree
        pkg = os.path.join(tmp, "python")
        shutil.copytree(os.path.join(src, "python"), pkg,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        env = dict(os.environ, CYLON_SOURCE_DIR=os.path.abspath(src),
                   CYLON_BUILD_DIR=os.path.abspath(build), PIP_NO_INPUT="1")
        env.pop("PYTHONPATH", None)
        subprocess.run([py, "-m", "pip", "install", "--no-build-isolation", "--no-index",
                        "--no-cache-dir", "--quiet", pkg], env=env, check=True, cwd=tmp)
        site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()"
                               "['platlib'])"], env=env, check=True, cwd=tmp,
                              capture_output=True, text=True).stdout.strip()
        subprocess.run([py, "-c", CHECK % site + DIST_CHECK], env=env, check=True, cwd=tmp)
    print("check_install: pip install ./python into a venv, imported from", site)


if len(sys.argv) == 3 and sys.argv[1] == "--pip":
    check_pip(sys.argv[2])
    sys.exit(0)

build, site = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as dest:
    env = dict(os.environ, DESTDIR=dest)
    subprocess.run(["cmake", "--install", build, "--component", "pycylon"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    installed = dest + site
    env = dict(os.environ, PYTHONPATH=installed)
    code = CHECK % installed
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=dest)
print("check_install: pycylon installed and imported from", installed)
