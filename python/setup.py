"""setup.py - `pip install ./python` builds pycylon with the project's own CMake.

setuptools (Debian's python3-setuptools; build offline with --no-build-isolation) packages
the pure-Python files of pycylon/; the extension pycylon._cylon is not compiled by
setuptools but by CMake, exactly as `scripts/build` makes it (cylon linked statically
into one self-contained module), for the Python running pip (a virtual environment's
too), and copied into the wheel.

    CYLON_SOURCE_DIR   the cylon source tree (default: the directory above this one)
    CYLON_BUILD_DIR    an already configured build directory (an absolute path) to build the module in
                       (incremental, e.g. build/); default: a fresh one under pip's
                       temporary build directory, Release
    CYLON_BUILD_JOBS   parallel compile jobs (default 2)
"""
import glob
import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


def _fail(msg):
    sys.exit("pycylon build: " + msg)


class CMakeBuild(build_ext):
    """build_ext that runs CMake for the pycylon_ext target and copies the module."""

    def build_extension(self, ext):
        source = os.path.abspath(os.environ.get("CYLON_SOURCE_DIR") or os.path.dirname(HERE))
        jobs = os.environ.get("CYLON_BUILD_JOBS", "2")
        build_dir = os.environ.get("CYLON_BUILD_DIR")
        if shutil.which("cmake") is None:
            _fail("cmake is not installed (scripts/install-deps installs it)")
        if build_dir:
            build_dir = os.path.abspath(build_dir)
            if not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
                _fail("CYLON_BUILD_DIR=%s is not a configured CMake build directory"
                      % build_dir)
        else:
            if not os.path.exists(os.path.join(source, "CMakeLists.txt")):
                _fail("no cylon source tree at %s (set CYLON_SOURCE_DIR)" % source)
            build_dir = os.path.abspath(os.path.join(self.build_temp, "cmake"))
            os.makedirs(build_dir, exist_ok=True)
            cmd = ["cmake", "-S", source, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                   "-DPython3_EXECUTABLE=" + sys.executable]
            if shutil.which("ninja"):
                cmd += ["-G", "Ninja"]
            self._run(cmd)
        self._run(["cmake", "--build", build_dir, "--target", "pycylon_ext", "-j", jobs])
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = os.path.join(build_dir, "python", "pycylon", "_cylon" + suffix)
        if not os.path.exists(built):
            found = glob.glob(os.path.join(build_dir, "python", "pycylon", "_cylon*.so"))
            _fail("CMake made no %s for this Python (%s)%s: is python3-dev installed for "
                  "it?" % (os.path.basename(built), sys.executable,
                           "; found " + ", ".join(found) if found else ""))
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built, dest)

    def _run(self, cmd):
        print(" ".join(cmd), flush=True)
        if subprocess.call(cmd) != 0:
            _fail("command failed: %s" % " ".join(cmd))


setup(packages=["pycylon"], ext_modules=[Extension("pycylon._cylon", sources=[])],
      cmdclass={"build_ext": CMakeBuild})
