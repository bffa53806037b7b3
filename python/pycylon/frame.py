"""frame.py - DataFrame, Series and GroupBy: the pandas-shaped face of a cylon Table.

A DataFrame holds one immutable pycylon._cylon.Table; every operation makes a new one in C
(with the GIL released), so tables are cheap to share and never change under a holder
(df["c"] = ... moves that DataFrame to a new table sharing the other columns). Names follow pandas (merge, sort_values, groupby(...).agg, drop_duplicates, ...)
and so do conversions (to_pandas, to_numpy); there is no row index: results carry a
fresh 0..n-1 one when they become pandas objects.

Distributed: the operators that take env= (a pycylon.CylonEnv) run on every rank's
partition together (pycylon/dist.py): merge, sort_values, groupby(...).agg, agg,
drop_duplicates, union, intersect, difference, equals; to_pandas(env=env) and gather give
the whole result on rank 0.
"""
import numpy as np

from . import _cylon
from ._cylon import Table
from .dist import _comm_of

# cylon type names -> the NumPy dtype to_numpy gives a column without nulls.
_NUMPY_DTYPES = {
    "bool": np.dtype(bool), "int8": np.dtype(np.int8), "int16": np.dtype(np.int16),
    "int32": np.dtype(np.int32), "int64": np.dtype(np.int64), "uint8": np.dtype(np.uint8),
    "uint16": np.dtype(np.uint16), "uint32": np.dtype(np.uint32),
    "uint64": np.dtype(np.uint64), "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64), "date32": np.dtype("datetime64[D]"),
}


def _numpy_dtype(type_name, null_count):
    if type_name.startswith("timestamp["):
        return np.dtype("datetime64[%s]" % type_name[10:].split(",")[0].rstrip("]"))
    dt = _NUMPY_DTYPES.get(type_name, np.dtype(object))
    if null_count and dt.kind in "iu":
        return np.dtype(np.float64)  # as pandas: NaN for the nulls
    if null_count and dt.kind == "b":
        return np.dtype(object)
    return dt


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return [str(v) for v in x]
    return [str(x)]


def _pandas():
    import pandas
    return pandas


def _columns_of_pandas(pdf):
    """Names and arrays of a pandas DataFrame's columns; plain NumPy dtypes are passed
    as they are (zero-copy where cylon can), pandas' own dtypes as objects with None."""
    pd = _pandas()
    names, values = [], []
    for name in pdf.columns:
        s = pdf[name]
        if isinstance(s, pd.DataFrame):
            raise ValueError("duplicate column name %r" % (name,))
        if isinstance(s.dtype, np.dtype):
            arr = s.to_numpy()
        else:  # nullable Int64, string, category ...: missing values as None
            arr = s.astype(object).where(s.notna(), None).to_numpy()
        names.append(str(name))
        values.append(arr)
    return names, values


class DataFrame:
    """A table of named columns, constructed like a pandas DataFrame:

    DataFrame({"a": [1, 2], "b": ["x", None]})   columns from lists (None is null)
    DataFrame({"a": np.arange(3)})               NumPy columns, numeric ones zero-copy
    DataFrame(pandas_df)                         from pandas
    DataFrame(array_2d, columns=["a", "b"])      a 2-D NumPy array
    DataFrame(obj)                               anything with __arrow_c_stream__ or
                                                 __arrow_c_array__ (Arrow PyCapsules)
    """

    __slots__ = ("_table",)

    def __init__(self, data=None, columns=None):
        if data is None:
            data = {}
        if isinstance(data, Table):
            table = data
        elif isinstance(data, DataFrame):
            table = data._table
        elif isinstance(data, dict):
            table = Table.from_columns([str(k) for k in data], list(data.values()))
        elif isinstance(data, np.ndarray) and data.ndim == 2:
            names = _as_list(columns) or [str(i) for i in range(data.shape[1])]
            if len(names) != data.shape[1]:
                raise ValueError("%d column names for %d columns" % (len(names),
                                                                      data.shape[1]))
            table = Table.from_columns(names, [data[:, i] for i in range(data.shape[1])])
            columns = None
        elif hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
            table = Table.from_arrow(data)
        elif type(data).__module__.startswith("pandas") and hasattr(data, "columns"):
            table = Table.from_columns(*_columns_of_pandas(data))
        else:
            raise TypeError("cannot make a DataFrame from %s" % type(data).__name__)
        if columns is not None:
            table = table.select(_as_list(columns))
        self._table = table

    # ---- description ----

    @property
    def columns(self):
        """Column names, in order."""
        return self._table.names

    @property
    def types(self):
        """cylon's type of each column, by name ({"a": "int64", ...})."""
        return dict(zip(self._table.names, self._table.types))

    @property
    def dtypes(self):
        """The NumPy dtype of each column as to_numpy / to_pandas give it, by name."""
        t = self._table
        return {n: _numpy_dtype(ty, t.column_null_count(i))
                for i, (n, ty) in enumerate(zip(t.names, t.types))}

    @property
    def shape(self):
        return (self._table.num_rows, self._table.num_columns)

    def __len__(self):
        return self._table.num_rows

    @property
    def empty(self):
        return self._table.num_rows == 0 or self._table.num_columns == 0

    @property
    def nbytes(self):
        """Bytes of column memory the table references."""
        return self._table.nbytes

    @property
    def table(self):
        """The underlying pycylon._cylon.Table."""
        return self._table

    def __repr__(self):
        return repr(self._table)

    def __iter__(self):
        return iter(self._table.names)

    def __contains__(self, name):
        return name in self._table.names

    # ---- selection ----

    def __getitem__(self, key):
        """df["a"] a Series; df[["a", "b"]] a DataFrame; df[mask] the rows where a boolean
        Series, array or list is true; df[i:j] rows i to j."""
        if isinstance(key, str):
            if key not in self._table.names:
                raise KeyError(key)
            return Series(self._table.select([key]))
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                return DataFrame(self._table.take(np.arange(start, stop, step)))
            return DataFrame(self._table.slice(start, max(0, stop - start)))
        if isinstance(key, Series):
            return DataFrame(self._table.filter(key._table))
        if isinstance(key, np.ndarray) and key.dtype == bool:
            return DataFrame(self._table.filter(key))
        if isinstance(key, (list, tuple)):
            if key and all(isinstance(k, (bool, np.bool_)) for k in key):
                return DataFrame(self._table.filter(np.asarray(key, dtype=bool)))
            missing = [k for k in key if k not in self._table.names]
            if missing:
                raise KeyError("columns not found: %s" % ", ".join(map(repr, missing)))
            return DataFrame(self._table.select(list(key)))
        if hasattr(key, "dtype") and getattr(key, "dtype", None) == bool:  # pandas Series
            return DataFrame(self._table.filter(np.asarray(key, dtype=bool)))
        raise TypeError("cannot index a DataFrame with %s" % type(key).__name__)

    def __setitem__(self, name, value):
        """df["c"] = Series / array / list / scalar: adds or replaces a column. The table
        itself never changes: this DataFrame moves to a new table sharing the other
        columns (other holders of the old table see no change)."""
        self._table = self._table.with_columns(_column_table(str(name), value, len(self)))

    def assign(self, **columns):
        """A new DataFrame with columns added or replaced (values as for df[name] = ...)."""
        t = self._table
        for name, value in columns.items():
            if callable(value):
                value = value(DataFrame(t))
            t = t.with_columns(_column_table(name, value, t.num_rows))
        return DataFrame(t)

    def drop(self, columns):
        """Without the named columns."""
        gone = set(_as_list(columns))
        missing = gone - set(self.columns)
        if missing:
            raise KeyError("columns not found: %s" % ", ".join(map(repr, sorted(missing))))
        return DataFrame(self._table.select([c for c in self.columns if c not in gone]))

    def head(self, n=5):
        return DataFrame(self._table.slice(0, max(0, n)))

    def tail(self, n=5):
        rows = len(self)
        n = min(max(0, n), rows)
        return DataFrame(self._table.slice(rows - n, n))

    def query(self, mask):
        """The rows where mask (a boolean Series or array) is true."""
        return self[mask]

    def rename(self, columns):
        """Columns renamed by a dict {old: new} (others keep their names)."""
        names = [columns.get(n, n) for n in self._table.names]
        return DataFrame(self._table.rename(names))

    # ---- conversions ----

    def to_pandas(self, env=None, root=0):
        """A pandas DataFrame (numeric columns without nulls pass through NumPy without
        copying; pandas may still consolidate them into its own blocks). With env: the
        whole distributed table on rank root (every rank must call it), an empty frame
        with the columns elsewhere."""
        pd = _pandas()
        t = self._table if env is None else _comm_of(env).gather(self._table, root)
        data = {name: t.column_to_numpy(i) for i, name in enumerate(t.names)}
        return pd.DataFrame(data, columns=t.names)

    def to_numpy(self, dtype=None):
        """A 2-D array (rows x columns) of a table whose columns share a NumPy kind; a
        one-column table without nulls is a view of cylon's memory (no copy)."""
        t = self._table
        cols = [t.column_to_numpy(i) for i in range(t.num_columns)]
        if not cols:
            return np.empty((len(self), 0), dtype=dtype or np.float64)
        if len(cols) == 1 and (dtype is None or cols[0].dtype == dtype):
            return cols[0].reshape(-1, 1)
        common = np.dtype(dtype) if dtype is not None else np.result_type(*cols)
        out = np.empty((len(self), len(cols)), dtype=common, order="F")
        for i, c in enumerate(cols):
            out[:, i] = c
        return out

    def to_dict(self, orient="list"):
        """{name: list of values} (orient="list") or a list of row dicts ("records")."""
        lists = {n: self[n].to_list() for n in self.columns}
        if orient == "list":
            return lists
        if orient == "records":
            return [dict(zip(lists, row)) for row in zip(*lists.values())]
        raise ValueError("orient must be 'list' or 'records'")

    def __array__(self, dtype=None):
        return self.to_numpy(dtype)

    # Arrow PyCapsule interface: the table as a struct array / a stream of record batches.
    def __arrow_c_schema__(self):
        return self._table.__arrow_c_schema__()

    def __arrow_c_array__(self, requested_schema=None):
        return self._table.__arrow_c_array__(requested_schema)

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)

    # DLPack: a numeric table as one 2-D tensor (a one-column table without copying).
    def __dlpack__(self, stream=None):
        if stream is not None:
            raise BufferError("cylon tables live in CPU memory: stream must be None")
        return self.to_numpy().__dlpack__()

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU, device 0

    # ---- operators ----

    # ---- moving a distributed table (every rank calls these, with its partition) ----

    def gather(self, env, root=0):
        """Every rank's rows on rank root, in rank order; an empty frame elsewhere."""
        return DataFrame(_comm_of(env).gather(self._table, root))

    def allgather(self, env):
        """Every rank's rows on every rank, in rank order."""
        return DataFrame(_comm_of(env).allgather(self._table))

    def broadcast(self, env, root=0):
        """Rank root's frame on every rank."""
        return DataFrame(_comm_of(env).broadcast(self._table, root))

    def shuffle(self, on=None, env=None):
        """Rows moved so that equal values of on (all columns when None) share a rank."""
        return DataFrame(_comm_of(env).shuffle(self._table, _as_list(on) or []))

    def rebalance(self, env):
        """Even shares of the rows on every rank, keeping the global order."""
        return DataFrame(_comm_of(env).rebalance(self._table))

    def global_len(self, env):
        """Rows on all ranks together."""
        return _comm_of(env).num_rows(self._table)

    def merge(self, right, how="inner", on=None, left_on=None, right_on=None,
              suffixes=("_x", "_y"), algorithm="hash", env=None, strategy="auto"):
        """Join with right on equal keys as pandas.merge: how is inner, left, right,
        outer (also semi, anti); algorithm "hash" or "sort". Row order is unspecified.
        With env: a distributed join of every rank's partitions (strategy "auto",
        "shuffle" or "broadcast" of the smaller side)."""
        if not isinstance(right, DataFrame):
            right = DataFrame(right)
        if on is not None:
            if left_on is not None or right_on is not None:
                raise ValueError('merge takes "on" or "left_on"/"right_on", not both')
            left_on = right_on = _as_list(on)
        elif left_on is None and right_on is None:
            left_on = [c for c in self.columns if c in right.columns]
            if not left_on:
                raise ValueError("merge: no common columns to join on; give on=")
            right_on = left_on
        else:
            left_on, right_on = _as_list(left_on), _as_list(right_on)
            if left_on is None or right_on is None:
                raise ValueError("merge needs both left_on and right_on")
        lsuf, rsuf = ("" if s is None else s for s in suffixes)
        if env is not None:
            return DataFrame(_comm_of(env).join(self._table, right._table, how, left_on,
                                                right_on, lsuf, rsuf, algorithm, strategy))
        return DataFrame(self._table.join(right._table, how, left_on, right_on, lsuf, rsuf,
                                          algorithm))

    def join(self, other, on=None, how="left", lsuffix="", rsuffix="", algorithm="hash",
             env=None):
        """Merge on the columns named in on (there is no index to join on)."""
        return self.merge(other, how=how, on=on, suffixes=(lsuffix, rsuffix),
                          algorithm=algorithm, env=env)

    def sort_values(self, by, ascending=True, env=None):
        """Rows sorted by the columns in by (stable; nulls last). With env: a sample sort,
        every rank's rows sorting at or before the next rank's."""
        by = _as_list(by)
        asc = list(ascending) if isinstance(ascending, (list, tuple)) else [ascending] * len(by)
        if len(asc) != len(by):
            raise ValueError("ascending has %d values for %d sort keys" % (len(asc), len(by)))
        asc = [bool(a) for a in asc]
        if env is not None:
            return DataFrame(_comm_of(env).sort(self._table, by, asc))
        return DataFrame(self._table.sort(by, asc))

    def groupby(self, by, sort=True, dropna=True, env=None):
        """Group by the columns in by; aggregate with .agg({...}), .sum(), .mean() ...
        As in pandas, rows with a null key are left out unless dropna=False. With env:
        each group ends on one rank (sorted across ranks when sort)."""
        return GroupBy(self, _as_list(by), sort, dropna, env)

    def agg(self, spec, env=None):
        """Aggregates over all rows: a one-row DataFrame, names as GroupBy.agg gives
        (with env: of all ranks' rows, the same row on every rank)."""
        return GroupBy(self, [], False, env=env).agg(spec)

    def drop_duplicates(self, subset=None, keep="first", env=None):
        """The first (or last) row of each distinct value of subset (all columns when
        None), in the original order (with env: first or last in rank order)."""
        if keep is False:
            raise NotImplementedError("drop_duplicates(keep=False) is not supported")
        if env is not None:
            return DataFrame(_comm_of(env).unique(self._table, _as_list(subset) or [], keep))
        return DataFrame(self._table.unique(_as_list(subset) or [], keep))

    def _set_op(self, other, op, env):
        if not isinstance(other, DataFrame):
            other = DataFrame(other)
        if env is not None:
            return DataFrame(_comm_of(env).set_op(self._table, other._table, op))
        return DataFrame(self._table.set_op(other._table, op))

    def union(self, other, env=None):
        """Distinct rows of both tables (equal schemas)."""
        return self._set_op(other, "union", env)

    def intersect(self, other, env=None):
        """Distinct rows present in both tables."""
        return self._set_op(other, "intersect", env)

    def difference(self, other, env=None):
        """Distinct rows of this table that are not in other."""
        return self._set_op(other, "difference", env)

    def equals(self, other, ordered=True, env=None):
        """Same schema and rows (in the same order when ordered; with env: the global
        order, the same answer on every rank)."""
        if not isinstance(other, DataFrame):
            other = DataFrame(other)
        if env is not None:
            return _comm_of(env).equals(self._table, other._table, ordered)
        return self._table.equals(other._table, ordered)

    def dropna(self, subset=None):
        """Rows without nulls in subset (all columns when None)."""
        cols = _as_list(subset) or self.columns
        mask = None
        for c in cols:
            m = self[c].notna()
            mask = m if mask is None else mask & m
        return self if mask is None else self[mask]

    # ---- files ----

    def to_csv(self, path, sep=",", header=True, index=False):
        """Write CSV to a local path or an s3:// URL (there is no index to write)."""
        self._table.write(str(path), "csv", None, sep, bool(header))

    def to_parquet(self, path, compression="snappy", index=None):
        """Write Parquet to a local path or an s3:// URL."""
        self._table.write(str(path), "parquet", compression or "none")

    def to_feather(self, path):
        """Write an Arrow IPC file."""
        self._table.write(str(path), "ipc")

    def to_hdf(self, path, key, mode="a", layout="columns", fixed_strings=False,
               complevel=0):
        """Write the table into an HDF5 file at key ("table" or "/group/table"): as a group
        of one dataset per column (layout="columns", nulls kept in key/_validity) or one
        dataset of compound records (layout="compound", no nulls). mode="a" adds the key to
        an existing file, replacing what was there; mode="w" writes a new file."""
        _cylon.write_hdf(self._table, str(path), str(key), layout, mode, bool(fixed_strings),
                         int(complevel or 0))


class Series:
    """One named column (a one-column table), as df["name"] gives it."""

    __slots__ = ("_table",)

    def __init__(self, data, name=None):
        if isinstance(data, Table):
            if data.num_columns != 1:
                raise ValueError("a Series holds one column")
            self._table = data
        else:
            self._table = Table.from_columns([str(name) if name is not None else "0"], [data])

    @property
    def name(self):
        return self._table.names[0]

    @property
    def dtype(self):
        return _numpy_dtype(self._table.types[0], self._table.column_null_count(0))

    @property
    def type(self):
        """cylon's type name."""
        return self._table.types[0]

    @property
    def null_count(self):
        return self._table.column_null_count(0)

    def __len__(self):
        return self._table.num_rows

    @property
    def shape(self):
        return (self._table.num_rows,)

    def __repr__(self):
        return repr(self._table)

    def to_numpy(self):
        """A 1-D array: a read-only view of cylon's memory for a numeric column without
        nulls; otherwise converted as pandas has it."""
        return self._table.column_to_numpy(0)

    def __array__(self, dtype=None):
        a = self.to_numpy()
        return a if dtype is None else a.astype(dtype)

    def to_list(self):
        a = self.to_numpy()
        if a.dtype.kind == "f" and self.null_count:
            return [None if v != v else v for v in a.tolist()]
        return a.tolist()

    tolist = to_list

    def to_pandas(self):
        return _pandas().Series(self.to_numpy(), name=self.name)

    def to_frame(self):
        return DataFrame(self._table)

    def __iter__(self):
        return iter(self.to_list())

    def __getitem__(self, key):
        if isinstance(key, Series) or (isinstance(key, np.ndarray) and key.dtype == bool):
            return Series(self._table.filter(key._table if isinstance(key, Series) else key))
        if isinstance(key, slice):
            return Series(DataFrame(self._table)[key]._table)
        if isinstance(key, (int, np.integer)):
            n = len(self)
            if not -n <= key < n:
                raise IndexError("row %d out of range (%d rows)" % (key, n))
            return self.to_list()[key] if self.null_count else self.to_numpy()[key]
        raise TypeError("cannot index a Series with %s" % type(key).__name__)

    # comparisons give boolean Series (null where the value is null), for masks
    def _cmp(self, op, other):
        return Series(self._table.compare(0, op, other))

    def __eq__(self, other):
        return self._cmp("==", other)

    def __ne__(self, other):
        return self._cmp("!=", other)

    def __lt__(self, other):
        return self._cmp("<", other)

    def __le__(self, other):
        return self._cmp("<=", other)

    def __gt__(self, other):
        return self._cmp(">", other)

    def __ge__(self, other):
        return self._cmp(">=", other)

    __hash__ = None

    # arithmetic (as SQL: integer results are int64, "/" gives float64, null in -> null out)
    def _arith(self, op, other, reflected=False):
        o = other._table if isinstance(other, Series) else other
        return Series(self._table.arith(o, op, reflected))

    def __add__(self, other):
        return self._arith("+", other)

    def __radd__(self, other):
        return self._arith("+", other, True)

    def __sub__(self, other):
        return self._arith("-", other)

    def __rsub__(self, other):
        return self._arith("-", other, True)

    def __mul__(self, other):
        return self._arith("*", other)

    def __rmul__(self, other):
        return self._arith("*", other, True)

    def __truediv__(self, other):
        return self._arith("/", other)

    def __rtruediv__(self, other):
        return self._arith("/", other, True)

    def rename(self, name):
        return Series(self._table.rename([str(name)]))

    def __and__(self, other):
        return Series(self._table.logical(_series(other, len(self))._table, "and"))

    def __or__(self, other):
        return Series(self._table.logical(_series(other, len(self))._table, "or"))

    def __invert__(self):
        return Series(self._table.logical(None, "not"))

    def isin(self, values):
        return Series(self._table.isin(0, list(values)))

    def isna(self):
        mask = np.zeros(len(self), dtype=bool)
        if self.null_count:
            a = self.to_numpy()
            mask = np.isnan(a) if a.dtype.kind == "f" else np.array(
                [v is None for v in a], dtype=bool) if a.dtype == object else np.isnat(a)
        return Series(Table.from_columns([self.name], [mask]))

    isnull = isna

    def notna(self):
        return ~self.isna()

    notnull = notna

    def _agg(self, op):
        t = self._table.groupby([], [(self.name, op, "v")])
        return t.column_to_numpy(0).tolist()[0] if t.column_null_count(0) == 0 else None

    def sum(self):
        return self._agg("sum")

    def mean(self):
        return self._agg("mean")

    def min(self):
        return self._agg("min")

    def max(self):
        return self._agg("max")

    def count(self):
        return self._agg("count")

    def std(self):
        return self._agg("std")

    def nunique(self):
        return self._agg("nunique")

    def unique(self):
        return self._table.unique([], "first").column_to_numpy(0)

    # Arrow PyCapsule interface: the column as a plain array (not a one-field struct).
    def __arrow_c_schema__(self):
        return self._table.column_arrow(0, True)

    def __arrow_c_array__(self, requested_schema=None):
        return self._table.column_arrow(0)

    def __dlpack__(self, stream=None):
        """A DLPack capsule over the column's memory (numeric, without nulls; no copy)."""
        if stream is not None:
            raise BufferError("cylon columns live in CPU memory: stream must be None")
        return self._table.column_dlpack(0)

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU, device 0


def _column_table(name, value, rows):
    """A one-column Table called name from a Series, an array, a list or a scalar."""
    if isinstance(value, Series):
        return value._table.rename([name])
    if np.isscalar(value) or value is None:
        value = [value] * rows
    return Table.from_columns([name], [value])


def _series(x, n):
    if isinstance(x, Series):
        return x
    return Series(Table.from_columns(["mask"], [np.asarray(x, dtype=bool)]))


class GroupBy:
    """Rows grouped by key columns; groups come out sorted by key as in pandas
    (sort=False leaves cylon's order), with the keys as ordinary columns."""

    def __init__(self, frame, by, sort=True, dropna=True, env=None):
        if not by and by != []:
            raise ValueError("groupby needs at least one column")
        missing = [b for b in by if b not in frame.columns]
        if missing:
            raise KeyError("columns not found: %s" % ", ".join(map(repr, missing)))
        self._frame = frame
        self._by = by
        self._sort = sort
        self._dropna = dropna
        self._comm = None if env is None else _comm_of(env)

    def _keyed(self):
        """The frame without rows whose key is null, as pandas' dropna=True groups."""
        f = self._frame
        if self._dropna and any(f[b].null_count for b in self._by):
            return f.dropna(self._by)
        return f

    def agg(self, spec):
        """spec maps a column to an aggregate name or a list of them ("sum", "count",
        "mean", "min", "max", "std", "var", "nunique", "first", "last", "median", "size").
        One aggregate per column keeps the column's name; several make "<col>_<agg>"."""
        if isinstance(spec, str):
            spec = {c: spec for c in self._frame.columns if c not in self._by}
        aggs = []
        for col, ops in spec.items():
            many = isinstance(ops, (list, tuple))
            for op in (ops if many else [ops]):
                aggs.append((str(col), op, "%s_%s" % (col, op) if many else str(col)))
        t = self._group(aggs)
        # pandas sums nothing (all nulls) to 0, SQL to null: pandas is the model here.
        for col, op, name in aggs:
            if op == "sum" and t.column_null_count(name):
                t = t.fill_null(name, 0)
        return DataFrame(self._sorted(t))

    aggregate = agg

    def _group(self, aggs):
        t = self._keyed()._table
        if self._comm is not None:
            return self._comm.groupby(t, self._by, aggs)
        return t.groupby(self._by, aggs)

    def _sorted(self, t):
        """Groups in key order, as pandas gives them (across ranks with env)."""
        if not (self._sort and self._by):
            return t
        if self._comm is not None:
            return self._comm.sort(t, self._by, [True] * len(self._by))
        return t.sort(self._by, [True] * len(self._by))

    def _all(self, op):
        """op over every non-key column; arithmetic ones over the numeric columns only
        (pandas drops the others as nuisance columns)."""
        numeric = op in ("sum", "mean", "std", "var", "median")
        types = self._frame.types
        return self.agg({c: op for c in self._frame.columns if c not in self._by and (
            not numeric or _numpy_dtype(types[c], 0).kind in "iuf")})

    def sum(self):
        return self._all("sum")

    def mean(self):
        return self._all("mean")

    def min(self):
        return self._all("min")

    def max(self):
        return self._all("max")

    def count(self):
        return self._all("count")

    def std(self):
        return self._all("std")

    def var(self):
        return self._all("var")

    def nunique(self):
        return self._all("nunique")

    def first(self):
        return self._all("first")

    def last(self):
        return self._all("last")

    def median(self):
        return self._all("median")

    def size(self):
        """Rows per group, in a column named "size"."""
        return DataFrame(self._sorted(self._group([(self._by[0], "count_all", "size")])))


def concat(frames):
    """Rows of the frames one after another (equal column names and types)."""
    frames = [f if isinstance(f, DataFrame) else DataFrame(f) for f in frames]
    return DataFrame(_cylon.concat([f._table for f in frames]))


def from_arrow(obj):
    """A DataFrame from any object with __arrow_c_stream__ or __arrow_c_array__."""
    return DataFrame(Table.from_arrow(obj))


def _dtype_name(t):
    if isinstance(t, str):
        return {"str": "utf8", "object": "utf8"}.get(t, t)
    if t is str:
        return "utf8"
    dt = np.dtype(t)
    if dt.kind in "iuf":
        return dt.name
    if dt.kind == "b":
        return "bool"
    if dt.kind in "OU":
        return "utf8"
    raise TypeError("no cylon type for dtype %s" % dt)


def read_csv(path, sep=",", header="infer", dtype=None, na_values=None, delimiter=None):
    """Read a CSV file (a local path or an s3:// URL) on all threads; types are inferred
    (int64, float64, bool, date, timestamp, string) unless dtype says ({"col": "int32"}).
    Empty fields are null, as are na_values when given."""
    if header not in ("infer", 0, None):
        raise NotImplementedError("header must be 'infer', 0 or None")
    types = {str(k): _dtype_name(v) for k, v in dtype.items()} if dtype else None
    nulls = None
    if na_values is not None:
        nulls = [""] + [str(v) for v in (na_values if isinstance(na_values, (list, tuple))
                                          else [na_values])]
    return DataFrame(_cylon.read_csv(str(path), delimiter or sep, header is not None, types,
                                     nulls))


def read_parquet(path, columns=None):
    """Read a Parquet file (a local path or an s3:// URL), optionally only some columns."""
    return DataFrame(_cylon.read_parquet(str(path), _as_list(columns)))


def read_hdf(path, key=None):
    """Read a table from an HDF5 file: the group of one dataset per column or the
    compound dataset at key (default: /table, else the file's only member)."""
    return DataFrame(_cylon.read_hdf(str(path), None if key is None else str(key)))


def read_file(path, format="auto"):
    """Read CSV, Parquet or Arrow IPC, by format name or the path's extension."""
    return DataFrame(_cylon.read_file(str(path), format))
