"""The Arrow PyCapsule interface and DLPack, checked by consumers and producers written
here from the specifications with ctypes (no Arrow library on Debian 12's Python), and by
NumPy's own DLPack consumer (np.from_dlpack)."""
import ctypes
import gc

import numpy as np
import pandas as pd
import pytest

import pycylon as pc
from conftest import assert_same


class ArrowSchema(ctypes.Structure):
    pass


ArrowSchema._fields_ = [
    ("format", ctypes.c_char_p), ("name", ctypes.c_char_p), ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64), ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
    ("dictionary", ctypes.POINTER(ArrowSchema)),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))),
    ("private_data", ctypes.c_void_p)]


class ArrowArray(ctypes.Structure):
    pass


ArrowArray._fields_ = [
    ("length", ctypes.c_int64), ("null_count", ctypes.c_int64), ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64), ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
    ("dictionary", ctypes.POINTER(ArrowArray)),
    ("release", ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))),
    ("private_data", ctypes.c_void_p)]


class ArrowArrayStream(ctypes.Structure):
    _fields_ = [
        ("get_schema", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                                        ctypes.POINTER(ArrowSchema))),
        ("get_next", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                                      ctypes.POINTER(ArrowArray))),
        ("get_last_error", ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p)),
        ("release", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
        ("private_data", ctypes.c_void_p)]


_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype = ctypes.c_void_p
_get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_new = ctypes.pythonapi.PyCapsule_New
_capsule_new.restype = ctypes.py_object
_capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


def capsule_struct(capsule, name, struct):
    return struct.from_address(_get_pointer(capsule, name))


@pytest.fixture
def df_and_pandas():
    d = {"k": np.arange(6, dtype=np.int64) * 10, "v": [1.5, None, 2.5, 3.5, None, 0.0],
         "s": ["a", "bb", None, "", "e", "ff"]}
    return pc.DataFrame(d), pd.DataFrame(d)


def check_struct_array(schema, array, pdf, df):
    assert schema.format == b"+s" and schema.n_children == 3
    names = [schema.children[i].contents.name.decode() for i in range(3)]
    formats = [schema.children[i].contents.format for i in range(3)]
    assert names == list(pdf.columns) and formats == [b"l", b"g", b"u"]
    assert array.length == len(pdf) and array.n_children == 3
    k = array.children[0].contents
    assert k.null_count == 0 and k.n_buffers == 2
    # zero-copy: the exported buffer is the column's own memory
    assert k.buffers[1] + 8 * k.offset == df.table.column_address("k")
    vals = np.ctypeslib.as_array(ctypes.cast(k.buffers[1], ctypes.POINTER(ctypes.c_int64)),
                                 (k.offset + k.length,))[k.offset:]
    assert vals.tolist() == pdf["k"].tolist()
    v = array.children[1].contents
    assert v.null_count == int(pdf["v"].isna().sum())
    bits = ctypes.cast(v.buffers[0], ctypes.POINTER(ctypes.c_uint8))
    valid = [(bits[(v.offset + i) >> 3] >> ((v.offset + i) & 7)) & 1 for i in range(v.length)]
    assert valid == pdf["v"].notna().astype(int).tolist()
    s = array.children[2].contents
    offs = ctypes.cast(s.buffers[1], ctypes.POINTER(ctypes.c_int32))
    data = ctypes.string_at(s.buffers[2], offs[s.offset + s.length])
    texts = [data[offs[s.offset + i]:offs[s.offset + i + 1]].decode() for i in range(s.length)]
    want = pdf["s"].fillna("").tolist()  # a null's bytes are empty
    assert texts == want


def test_arrow_c_array_export(df_and_pandas):
    df, pdf = df_and_pandas
    schema_cap, array_cap = df.__arrow_c_array__()
    schema = capsule_struct(schema_cap, b"arrow_schema", ArrowSchema)
    array = capsule_struct(array_cap, b"arrow_array", ArrowArray)
    check_struct_array(schema, array, pdf, df)
    assert capsule_struct(df.__arrow_c_schema__(), b"arrow_schema", ArrowSchema).format == b"+s"


def test_arrow_c_stream_export(df_and_pandas):
    df, pdf = df_and_pandas
    cap = df.__arrow_c_stream__()
    stream = capsule_struct(cap, b"arrow_array_stream", ArrowArrayStream)
    addr = ctypes.addressof(stream)
    schema, batch, end = ArrowSchema(), ArrowArray(), ArrowArray()
    assert stream.get_schema(addr, ctypes.byref(schema)) == 0
    assert stream.get_next(addr, ctypes.byref(batch)) == 0
    check_struct_array(schema, batch, pdf, df)
    assert stream.get_next(addr, ctypes.byref(end)) == 0 and not end.release  # the end
    batch.release(ctypes.byref(batch))
    schema.release(ctypes.byref(schema))
    del cap  # the capsule releases the stream


def test_capsule_roundtrip(df_and_pandas):
    df, pdf = df_and_pandas

    class ArrayOnly:
        def __arrow_c_array__(self, requested_schema=None):
            return df.__arrow_c_array__()

    class StreamOnly:
        def __arrow_c_stream__(self, requested_schema=None):
            return df.__arrow_c_stream__()

    for obj in (df, ArrayOnly(), StreamOnly()):
        back = pc.DataFrame(obj)
        assert back.types == df.types
        assert_same(back, pdf, sort=False)
        assert back.table.column_address("k") == df.table.column_address("k")  # no copy
    assert_same(pc.from_arrow(df["v"]), pdf[["v"]], sort=False)
    # a Series is a plain Arrow array named like the column
    sc, ac = df["v"].__arrow_c_array__()
    assert capsule_struct(sc, b"arrow_schema", ArrowSchema).format == b"g"
    assert capsule_struct(sc, b"arrow_schema", ArrowSchema).name == b"v"
    assert capsule_struct(ac, b"arrow_array", ArrowArray).null_count == 2
    assert capsule_struct(df["s"].__arrow_c_schema__(), b"arrow_schema",
                          ArrowSchema).format == b"u"
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        pc.from_arrow(object())


def test_import_from_a_foreign_producer():
    """A producer built here by hand: one int64 column over NumPy memory, whose release
    callbacks must be called exactly once, when cylon lets go."""
    values = np.arange(5, dtype=np.int64) * 7
    released = []

    @ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))
    def release_schema(p):
        p.contents.release = ctypes.cast(None, type(p.contents.release))
        released.append("schema")

    @ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))
    def release_array(p):
        p.contents.release = ctypes.cast(None, type(p.contents.release))
        released.append("array")

    child_schema = ArrowSchema(format=b"l", name=b"x", flags=2, release=release_schema)
    child_ptrs = (ctypes.POINTER(ArrowSchema) * 1)(ctypes.pointer(child_schema))
    schema = ArrowSchema(format=b"+s", name=b"", n_children=1, children=child_ptrs,
                         release=release_schema)
    bufs = (ctypes.c_void_p * 2)(None, values.ctypes.data)
    child = ArrowArray(length=5, null_count=0, n_buffers=2, buffers=bufs,
                       release=release_array)
    children = (ctypes.POINTER(ArrowArray) * 1)(ctypes.pointer(child))
    top_bufs = (ctypes.c_void_p * 1)(None)
    array = ArrowArray(length=5, n_buffers=1, buffers=top_bufs, n_children=1,
                       children=children, release=release_array)

    class Producer:
        def __arrow_c_array__(self, requested_schema=None):
            return (_capsule_new(ctypes.addressof(schema), b"arrow_schema", None),
                    _capsule_new(ctypes.addressof(array), b"arrow_array", None))

    df = pc.DataFrame(Producer())
    assert df.table.column_address("x") == values.ctypes.data  # zero-copy import
    assert df["x"].to_list() == values.tolist()
    assert "array" not in released  # cylon still holds the producer's memory
    del df
    gc.collect()
    assert released.count("array") == 1


def test_dlpack_column_zero_copy(df_and_pandas):
    df, pdf = df_and_pandas
    got = np.from_dlpack(df["k"])
    assert got.ctypes.data == df.table.column_address("k")
    assert got.tolist() == pdf["k"].tolist()
    assert df["k"].__dlpack_device__() == (1, 0)
    f32 = pc.DataFrame({"f": np.linspace(0, 1, 7, dtype=np.float32)})
    np.testing.assert_array_equal(np.from_dlpack(f32["f"]), np.linspace(0, 1, 7,
                                                                          dtype=np.float32))
    with pytest.raises(ValueError, match="nulls"):
        np.from_dlpack(df["v"])
    with pytest.raises(TypeError, match="numeric"):
        np.from_dlpack(df["s"])


def test_dlpack_table_2d():
    d = {"a": np.arange(4, dtype=np.float64), "b": np.arange(4, dtype=np.int64) * 2}
    got = np.from_dlpack(pc.DataFrame(d))
    np.testing.assert_array_equal(got, pd.DataFrame(d).to_numpy())
    assert pc.DataFrame(d).__dlpack_device__() == (1, 0)
