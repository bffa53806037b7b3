"""pycylon: cylon's distributed columnar tables from Python, with a pandas-like DataFrame.

The C extension (pycylon._cylon) wraps cylon's C API; this package adds the DataFrame,
Series and GroupBy classes a pandas user reads without a manual. Numeric columns move to
and from NumPy without copying, tables travel through the Arrow PyCapsule interface
(__arrow_c_stream__ and friends) and DLPack, and every cylon failure is a CylonError
carrying cylon's message. Many processes: CylonEnv (pycylon.dist) and the DataFrame
operators given env=env.
"""
from ._cylon import (CylonError, CylonMemoryError, CylonNotSupportedError, CylonValueError,
                     Table, memory_current, num_threads)
from .dist import CylonEnv, LocalConfig, MPIConfig, RedisConfig, launch, launch_script
from .frame import (DataFrame, GroupBy, Series, concat, from_arrow, read_csv, read_file,
                    read_hdf, read_parquet)

__all__ = [
    "DataFrame", "Series", "GroupBy", "Table", "concat", "from_arrow", "read_csv",
    "read_parquet", "read_file", "read_hdf", "CylonError", "CylonValueError", "CylonNotSupportedError",
    "CylonMemoryError", "memory_current", "num_threads",
    "CylonEnv", "LocalConfig", "MPIConfig", "RedisConfig", "launch", "launch_script",
]
