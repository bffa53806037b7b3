/*
 * dist.c - the distributed side of pycylon: the Comm type (one cy_comm, the C core of
 * pycylon.CylonEnv) with the dist layer's operators as methods, and launch(), which starts
 * local workers with cy_launch.
 *
 * A Comm is opened with the options of cy_comm_open (backend, bootstrap, job, world size,
 * timeout), so every way cylon finds its ranks works from Python: the "env" bootstrap
 * under `mpirun` or a launcher, "embedded" in workers of launch(), "redis://..." with a
 * job and a world size. Every call that talks to other ranks releases the GIL: it may wait
 * for them up to the communicator's deadline, and Python threads carry on meanwhile.
 *
 * MPI: Python loads extension modules with RTLD_LOCAL, so the libmpi this module links is
 * loaded without its symbols being global, and OpenMPI's plugins (dlopen'ed by MPI_Init,
 * which expect libmpi's and libopen-pal's symbols to be visible) fail to load. Before the
 * mpi backend opens, the OpenMPI libraries already loaded are re-opened with RTLD_GLOBAL
 * (RTLD_NOLOAD: the same copies, promoted), found by name among the loaded objects, so no
 * soname is hard-coded.
 *
 * launch(run, workers): each worker is a fork of this interpreter that calls run() and
 * exits with its result (the GIL is held across the fork, as os.fork does, and the child
 * reinitialises the interpreter's fork state with PyOS_AfterFork_Child); launch_program
 * starts workers that execute a program (a Python script through the interpreter).
 */
#include "pycylon.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cylon/dist.h"
#include "cylon/net.h"

typedef struct {
  PyObject_HEAD
  cy_comm *comm; /* NULL once closed */
} CommObject;

static PyTypeObject CommType;

/* ---------------------------------------------------------------------------------------
 * OpenMPI's libraries made global (see the header comment)
 * ------------------------------------------------------------------------------------- */

static int promote_if_mpi(struct dl_phdr_info *info, size_t size, void *ctx) {
  const char *path = info->dlpi_name;
  if (path == NULL || path[0] == 0) return 0;
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  static const char *const prefixes[] = {"libmpi.so", "libopen-pal.so", "libopen-rte.so"};
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0) {
      /* The handle is kept on purpose: the library stays loaded (and global) for good. */
      if (dlopen(path, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) != NULL) (*(int *)ctx)++;
    }
  }
  return 0;
}

static void make_mpi_global(void) {
  static int done;
  if (done) return;
  int promoted = 0;
  dl_iterate_phdr(promote_if_mpi, &promoted);
  done = 1;
}

/* ---------------------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------------------- */

/* Comm(backend="tcp", bootstrap="env", job=None, world_size=0, timeout=60.0,
 *      bind_host=None) */
static PyObject *comm_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"backend", "bootstrap", "job", "world_size", "timeout", "bind_host",
                       NULL};
  const char *backend = "tcp", *bootstrap = "env", *job = NULL, *bind_host = NULL;
  int world_size = 0;
  double timeout = 60.0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|sszidz:Comm", kw, &backend, &bootstrap,
                                   &job, &world_size, &timeout, &bind_host))
    return NULL;
  if (world_size < 0)
    return PyErr_Format(PyExc_ValueError, "world_size must be >= 0, not %d", world_size);
  if (!(timeout > 0))
    return PyErr_Format(PyExc_ValueError, "timeout must be > 0 seconds, not %g", timeout);
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.backend = backend;
  o.bootstrap = bootstrap;
  o.job = job;
  o.world_size = world_size;
  o.timeout_ms = (int64_t)(timeout * 1000.0);
  if (bind_host) o.bind_host = bind_host;
  if (strcmp(backend, "mpi") == 0) make_mpi_global();
  CommObject *self = (CommObject *)type->tp_alloc(type, 0);
  if (self == NULL) return NULL;
  cy_comm *comm = NULL;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_comm_open(&o, &comm, &err);
  Py_END_ALLOW_THREADS
  if (st != CY_OK) {
    Py_DECREF(self);
    return pc_raise(st, &err);
  }
  self->comm = comm;
  return (PyObject *)self;
}

static void comm_close_now(CommObject *self) {
  cy_comm *comm = self->comm;
  self->comm = NULL;
  if (comm == NULL) return;
  /* closing waits (within the deadline) for the peers' goodbyes */
  Py_BEGIN_ALLOW_THREADS cy_comm_close(comm);
  Py_END_ALLOW_THREADS
}

static void comm_dealloc(CommObject *self) {
  comm_close_now(self);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The open communicator, or NULL with ValueError set. */
static cy_comm *open_comm(CommObject *self) {
  if (self->comm == NULL) PyErr_SetString(PyExc_ValueError, "the communicator is closed");
  return self->comm;
}

static PyObject *comm_close(CommObject *self, PyObject *noargs) {
  comm_close_now(self);
  Py_RETURN_NONE;
}

static PyObject *comm_abort(CommObject *self, PyObject *args) {
  const char *why = "aborted from Python";
  if (!PyArg_ParseTuple(args, "|s:abort", &why)) return NULL;
  cy_comm *comm = open_comm(self);
  if (comm == NULL) return NULL;
  cy_comm_abort(comm, why);
  Py_RETURN_NONE;
}

static PyObject *comm_barrier(CommObject *self, PyObject *noargs) {
  cy_comm *comm = open_comm(self);
  if (comm == NULL) return NULL;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_comm_barrier(comm, &err);
  Py_END_ALLOW_THREADS
  if (st != CY_OK) return pc_raise(st, &err);
  Py_RETURN_NONE;
}

static PyObject *comm_rank(CommObject *self, void *closure) {
  cy_comm *comm = open_comm(self);
  return comm ? PyLong_FromLong(cy_comm_rank(comm)) : NULL;
}

static PyObject *comm_world_size(CommObject *self, void *closure) {
  cy_comm *comm = open_comm(self);
  return comm ? PyLong_FromLong(cy_comm_world_size(comm)) : NULL;
}

static PyObject *comm_backend(CommObject *self, void *closure) {
  cy_comm *comm = open_comm(self);
  return comm ? PyUnicode_FromString(cy_comm_backend(comm)) : NULL;
}

static PyObject *comm_closed(CommObject *self, void *closure) {
  return PyBool_FromLong(self->comm == NULL);
}

/* traffic(): (bytes sent, bytes received) to and from other ranks so far. */
static PyObject *comm_traffic(CommObject *self, PyObject *noargs) {
  cy_comm *comm = open_comm(self);
  if (comm == NULL) return NULL;
  int64_t sent = 0, received = 0;
  cy_comm_traffic(comm, &sent, &received);
  return Py_BuildValue("(LL)", (long long)sent, (long long)received);
}

/* ---------------------------------------------------------------------------------------
 * Moving tables and the distributed operators
 * ------------------------------------------------------------------------------------- */

/* Run a dist call without the GIL and wrap its table, or raise its error. */
#define RUN_DIST_OP(call)                            \
  do {                                               \
    cy_table *out_ = NULL;                           \
    cy_error err_;                                   \
    cy_status st_;                                   \
    Py_BEGIN_ALLOW_THREADS st_ = (call);             \
    Py_END_ALLOW_THREADS                             \
    if (st_ != CY_OK) return pc_raise(st_, &err_);   \
    return pc_table_wrap(out_);                      \
  } while (0)
#define OUT (&out_)
#define ERR (&err_)

/* The communicator and one table argument, for the methods taking (table, ...). */
#define COMM_AND_TABLE(obj, comm, table)        \
  cy_comm *comm = open_comm(self);              \
  if (comm == NULL) return NULL;                \
  cy_table *table = pc_table_of(obj);           \
  if (table == NULL) return NULL

static int root_in_world(cy_comm *comm, int root) {
  if (root < 0 || root >= cy_comm_world_size(comm)) {
    PyErr_Format(PyExc_ValueError, "root %d is not a rank of this world of %d", root,
                 cy_comm_world_size(comm));
    return -1;
  }
  return 0;
}

/* gather(table, root=0): every rank's rows on root, in rank order; elsewhere empty. */
static PyObject *comm_gather(CommObject *self, PyObject *args) {
  PyObject *t_obj;
  int root = 0;
  if (!PyArg_ParseTuple(args, "O|i:gather", &t_obj, &root)) return NULL;
  COMM_AND_TABLE(t_obj, comm, t);
  if (root_in_world(comm, root) != 0) return NULL;
  RUN_DIST_OP(cy_dist_gather(comm, t, root, OUT, ERR));
}

/* allgather(table): every rank's rows on every rank, in rank order. */
static PyObject *comm_allgather(CommObject *self, PyObject *t_obj) {
  COMM_AND_TABLE(t_obj, comm, t);
  RUN_DIST_OP(cy_dist_allgather(comm, t, OUT, ERR));
}

/* broadcast(table, root=0): root's table everywhere (table may be None elsewhere). */
static PyObject *comm_broadcast(CommObject *self, PyObject *args) {
  PyObject *t_obj;
  int root = 0;
  if (!PyArg_ParseTuple(args, "O|i:broadcast", &t_obj, &root)) return NULL;
  cy_comm *comm = open_comm(self);
  if (comm == NULL || root_in_world(comm, root) != 0) return NULL;
  cy_table *t = NULL;
  if (cy_comm_rank(comm) == root || t_obj != Py_None) {
    t = pc_table_of(t_obj);
    if (t == NULL) return NULL;
  }
  RUN_DIST_OP(cy_dist_broadcast(comm, t, root, OUT, ERR));
}

/* shuffle(table, keys): rows with equal keys (all columns when empty) on one rank. */
static PyObject *comm_shuffle(CommObject *self, PyObject *args) {
  PyObject *t_obj, *keys_obj;
  if (!PyArg_ParseTuple(args, "OO:shuffle", &t_obj, &keys_obj)) return NULL;
  COMM_AND_TABLE(t_obj, comm, t);
  pc_names keys;
  if (pc_names_from(keys_obj, &keys) != 0) return NULL;
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS
  st_ = cy_dist_shuffle(comm, t, keys.items, keys.n, NULL, &out_, &err_);
  Py_END_ALLOW_THREADS
  pc_names_free(&keys);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* rebalance(table): even shares, global order kept. */
static PyObject *comm_rebalance(CommObject *self, PyObject *t_obj) {
  COMM_AND_TABLE(t_obj, comm, t);
  RUN_DIST_OP(cy_dist_rebalance(comm, t, OUT, ERR));
}

/* num_rows(table): rows on all ranks together. */
static PyObject *comm_num_rows(CommObject *self, PyObject *t_obj) {
  COMM_AND_TABLE(t_obj, comm, t);
  int64_t n = 0;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_dist_num_rows(comm, t, &n, &err);
  Py_END_ALLOW_THREADS
  return st == CY_OK ? PyLong_FromLongLong(n) : pc_raise(st, &err);
}

/* join(left, right, how, left_on, right_on, left_suffix, right_suffix, algorithm,
 *      strategy="auto") */
static PyObject *comm_join(CommObject *self, PyObject *args) {
  PyObject *l_obj, *r_obj, *left_on_obj, *right_on_obj;
  const char *how, *lsuf, *rsuf, *algo, *strategy = "auto";
  if (!PyArg_ParseTuple(args, "OOsOOsss|s:join", &l_obj, &r_obj, &how, &left_on_obj,
                        &right_on_obj, &lsuf, &rsuf, &algo, &strategy))
    return NULL;
  COMM_AND_TABLE(l_obj, comm, left);
  cy_table *right = pc_table_of(r_obj);
  if (right == NULL) return NULL;
  cy_dist_join_options opts;
  cy_dist_join_options_init(&opts);
  if (strcmp(strategy, "auto") == 0) opts.strategy = CY_DIST_JOIN_AUTO;
  else if (strcmp(strategy, "shuffle") == 0) opts.strategy = CY_DIST_JOIN_SHUFFLE;
  else if (strcmp(strategy, "broadcast") == 0) opts.strategy = CY_DIST_JOIN_BROADCAST;
  else
    return PyErr_Format(PyExc_ValueError, "unknown strategy='%s' (auto, shuffle, broadcast)",
                        strategy);
  pc_names lon, ron;
  if (pc_join_options_from(how, algo, left_on_obj, right_on_obj, lsuf, rsuf, &opts.join,
                           &lon, &ron) != 0)
    return NULL;
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS st_ = cy_dist_join(comm, left, right, &opts, &out_, &err_);
  Py_END_ALLOW_THREADS
  pc_names_free(&lon);
  pc_names_free(&ron);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* sort(table, by, ascending): the partitions in rank order are the sorted table. */
static PyObject *comm_sort(CommObject *self, PyObject *args) {
  PyObject *t_obj, *by_obj, *asc_obj;
  if (!PyArg_ParseTuple(args, "OOO:sort", &t_obj, &by_obj, &asc_obj)) return NULL;
  COMM_AND_TABLE(t_obj, comm, t);
  pc_names by;
  cy_sort_key *keys;
  if (pc_sort_keys_from(by_obj, asc_obj, &keys, &by) != 0) return NULL;
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS st_ = cy_dist_sort(comm, t, keys, by.n, &out_, &err_);
  Py_END_ALLOW_THREADS
  free(keys);
  pc_names_free(&by);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* groupby(table, by, aggs): each group on one rank; no keys: the one-row aggregate of the
 * whole table on every rank. */
static PyObject *comm_groupby(CommObject *self, PyObject *args) {
  PyObject *t_obj, *by_obj, *aggs_obj;
  if (!PyArg_ParseTuple(args, "OOO:groupby", &t_obj, &by_obj, &aggs_obj)) return NULL;
  COMM_AND_TABLE(t_obj, comm, t);
  pc_names by;
  if (pc_names_from(by_obj, &by) != 0) return NULL;
  cy_aggregate *aggs;
  int32_t na;
  PyObject *keep;
  if (pc_aggs_from(aggs_obj, &aggs, &na, &keep) != 0) {
    pc_names_free(&by);
    return NULL;
  }
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS
  st_ = by.n ? cy_dist_groupby(comm, t, by.items, by.n, aggs, na, &out_, &err_)
             : cy_dist_aggregate(comm, t, aggs, na, &out_, &err_);
  Py_END_ALLOW_THREADS
  free(aggs);
  Py_DECREF(keep);
  pc_names_free(&by);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* unique(table, columns, keep): keep "first" or "last" in the global row order. */
static PyObject *comm_unique(CommObject *self, PyObject *args) {
  PyObject *t_obj, *cols_obj;
  const char *keep;
  if (!PyArg_ParseTuple(args, "OOs:unique", &t_obj, &cols_obj, &keep)) return NULL;
  COMM_AND_TABLE(t_obj, comm, t);
  if (strcmp(keep, "first") != 0 && strcmp(keep, "last") != 0)
    return PyErr_Format(PyExc_ValueError, "keep must be 'first' or 'last', not '%s'", keep);
  pc_names cols;
  if (pc_names_from(cols_obj, &cols) != 0) return NULL;
  cy_keep k = keep[0] == 'f' ? CY_KEEP_FIRST : CY_KEEP_LAST;
  cy_table *out_ = NULL;
  cy_error err_;
  cy_status st_;
  Py_BEGIN_ALLOW_THREADS st_ = cy_dist_unique(comm, t, cols.items, cols.n, k, &out_, &err_);
  Py_END_ALLOW_THREADS
  pc_names_free(&cols);
  return st_ == CY_OK ? pc_table_wrap(out_) : pc_raise(st_, &err_);
}

/* set_op(a, b, "union" | "intersect" | "difference") */
static PyObject *comm_set_op(CommObject *self, PyObject *args) {
  PyObject *a_obj, *b_obj;
  const char *op;
  if (!PyArg_ParseTuple(args, "OOs:set_op", &a_obj, &b_obj, &op)) return NULL;
  COMM_AND_TABLE(a_obj, comm, a);
  cy_table *b = pc_table_of(b_obj);
  if (b == NULL) return NULL;
  cy_status (*fn)(cy_comm *, cy_table *, cy_table *, cy_table **, cy_error *) =
      strcmp(op, "union") == 0 ? cy_dist_union
      : strcmp(op, "intersect") == 0 ? cy_dist_intersect
      : strcmp(op, "difference") == 0 ? cy_dist_difference : NULL;
  if (fn == NULL) return PyErr_Format(PyExc_ValueError, "unknown set operation '%s'", op);
  RUN_DIST_OP(fn(comm, a, b, OUT, ERR));
}

/* equals(a, b, ordered=True): the same answer on every rank. */
static PyObject *comm_equals(CommObject *self, PyObject *args) {
  PyObject *a_obj, *b_obj;
  int ordered = 1;
  if (!PyArg_ParseTuple(args, "OO|p:equals", &a_obj, &b_obj, &ordered)) return NULL;
  COMM_AND_TABLE(a_obj, comm, a);
  cy_table *b = pc_table_of(b_obj);
  if (b == NULL) return NULL;
  bool eq = false;
  cy_error err;
  cy_status st;
  Py_BEGIN_ALLOW_THREADS st = cy_dist_equals(comm, a, b, ordered, &eq, &err);
  Py_END_ALLOW_THREADS
  return st == CY_OK ? PyBool_FromLong(eq) : pc_raise(st, &err);
}

static PyMethodDef comm_methods[] = {
    {"close", (PyCFunction)comm_close, METH_NOARGS,
     "leave the world (waits for the peers' goodbyes); closing twice is allowed"},
    {"abort", (PyCFunction)comm_abort, METH_VARARGS,
     "abort(why): fail the communicator here and on every rank"},
    {"barrier", (PyCFunction)comm_barrier, METH_NOARGS, "wait until every rank arrives"},
    {"traffic", (PyCFunction)comm_traffic, METH_NOARGS, "(bytes sent, bytes received)"},
    {"gather", (PyCFunction)comm_gather, METH_VARARGS, "gather(table, root=0)"},
    {"allgather", (PyCFunction)comm_allgather, METH_O, "allgather(table)"},
    {"broadcast", (PyCFunction)comm_broadcast, METH_VARARGS, "broadcast(table, root=0)"},
    {"shuffle", (PyCFunction)comm_shuffle, METH_VARARGS, "shuffle(table, keys)"},
    {"rebalance", (PyCFunction)comm_rebalance, METH_O, "rebalance(table)"},
    {"num_rows", (PyCFunction)comm_num_rows, METH_O, "num_rows(table): rows of all ranks"},
    {"join", (PyCFunction)comm_join, METH_VARARGS,
     "join(left, right, how, left_on, right_on, left_suffix, right_suffix, algorithm, "
     "strategy='auto')"},
    {"sort", (PyCFunction)comm_sort, METH_VARARGS, "sort(table, by, ascending)"},
    {"groupby", (PyCFunction)comm_groupby, METH_VARARGS, "groupby(table, by, aggs)"},
    {"unique", (PyCFunction)comm_unique, METH_VARARGS, "unique(table, columns, keep)"},
    {"set_op", (PyCFunction)comm_set_op, METH_VARARGS, "set_op(a, b, op)"},
    {"equals", (PyCFunction)comm_equals, METH_VARARGS, "equals(a, b, ordered=True)"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef comm_getset[] = {
    {"rank", (getter)comm_rank, NULL, "this process's rank", NULL},
    {"world_size", (getter)comm_world_size, NULL, "ranks in the world", NULL},
    {"backend", (getter)comm_backend, NULL, "tcp, mpi or redis", NULL},
    {"closed", (getter)comm_closed, NULL, "whether close() was called", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject CommType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pycylon._cylon.Comm",
    .tp_doc = "Comm(backend='tcp', bootstrap='env', job=None, world_size=0, timeout=60.0, "
              "bind_host=None): a cylon communicator (the C object under CylonEnv).",
    .tp_basicsize = sizeof(CommObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = comm_new,
    .tp_dealloc = (destructor)comm_dealloc,
    .tp_methods = comm_methods,
    .tp_getset = comm_getset,
};

/* ---------------------------------------------------------------------------------------
 * Local workers (cy_launch)
 * ------------------------------------------------------------------------------------- */

/* Flush sys.stdout and sys.stderr (a worker's output must not stay in Python's buffers). */
static void flush_python_streams(void) {
  static const char *const names[] = {"stdout", "stderr"};
  for (int i = 0; i < 2; i++) {
    PyObject *f = PySys_GetObject(names[i]); /* borrowed */
    if (f == NULL || f == Py_None) continue;
    PyObject *r = PyObject_CallMethod(f, "flush", NULL);
    if (r == NULL) PyErr_Clear();
    Py_XDECREF(r);
  }
}

/* A forked worker: run the callable and leave with its result as the exit status,
 * without the interpreter's shutdown (that belongs to the launching process). */
static int run_forked_worker(void *ctx) {
  PyOS_AfterFork_Child();
  PyObject *result = PyObject_CallNoArgs((PyObject *)ctx);
  int code = 1;
  if (result == NULL) {
    PyErr_Print();
  } else {
    code = result == Py_None ? 0 : (int)PyLong_AsLong(result);
    if (code == -1 && PyErr_Occurred()) {
      PyErr_Print();
      code = 1;
    }
    Py_DECREF(result);
  }
  flush_python_streams();
  fflush(NULL);
  _exit(code & 0xff);
}

/* The list of exit codes, or the launch's error. */
static PyObject *launch_result(cy_status st, cy_error *err, const int *codes, int workers) {
  if (st != CY_OK) return pc_raise(st, err);
  PyObject *list = PyList_New(workers);
  for (int i = 0; list && i < workers; i++) {
    PyObject *c = PyLong_FromLong(codes[i]);
    if (c == NULL) Py_CLEAR(list);
    else PyList_SET_ITEM(list, i, c);
  }
  return list;
}

static int launch_args_ok(int workers, double timeout, double grace) {
  if (workers < 1) {
    PyErr_Format(PyExc_ValueError, "workers must be >= 1, not %d", workers);
    return -1;
  }
  if (!(timeout > 0) || !(grace >= 0)) {
    PyErr_SetString(PyExc_ValueError, "timeout must be > 0 and grace >= 0 seconds");
    return -1;
  }
  return 0;
}

/* launch(run, workers, timeout=60.0, grace=3.0, job=None): fork `workers` workers, each
 * calling run() (with CYLON_RANK etc. set: open Comm(bootstrap="embedded") there) and
 * exiting with its result (None is 0, an exception 1); the exit codes when all are 0,
 * else CylonError naming the rank that failed first. */
static PyObject *mod_launch(PyObject *m, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"run", "workers", "timeout", "grace", "job", NULL};
  PyObject *run;
  int workers;
  double timeout = 60.0, grace = 3.0;
  const char *job = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oi|ddz:launch", kw, &run, &workers,
                                   &timeout, &grace, &job))
    return NULL;
  if (!PyCallable_Check(run)) return PyErr_Format(PyExc_TypeError, "run must be callable");
  if (launch_args_ok(workers, timeout, grace) != 0) return NULL;
  int *codes = calloc((size_t)workers, sizeof(int));
  if (codes == NULL) return PyErr_NoMemory();
  cy_launch_options o;
  cy_launch_options_init(&o);
  o.workers = workers;
  o.run = run_forked_worker;
  o.ctx = run;
  o.timeout_ms = (int64_t)(timeout * 1000.0);
  o.grace_ms = (int64_t)(grace * 1000.0);
  o.job = job;
  o.exit_codes = codes;
  flush_python_streams();
  /* The GIL stays held across the forks (the children run Python); the interpreter's
   * own fork hooks run around them, as for os.fork. */
  PyOS_BeforeFork();
  cy_error err;
  cy_status st = cy_launch(&o, &err);
  PyOS_AfterFork_Parent();
  PyObject *result = launch_result(st, &err, codes, workers);
  free(codes);
  return result;
}

/* launch_program(argv, workers, timeout=60.0, grace=3.0, job=None): start `workers`
 * copies of the program argv[0] (a path) with arguments argv. */
static PyObject *mod_launch_program(PyObject *m, PyObject *args, PyObject *kwargs) {
  static char *kw[] = {"argv", "workers", "timeout", "grace", "job", NULL};
  PyObject *argv_obj;
  int workers;
  double timeout = 60.0, grace = 3.0;
  const char *job = NULL;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "Oi|ddz:launch_program", kw, &argv_obj,
                                   &workers, &timeout, &grace, &job))
    return NULL;
  if (launch_args_ok(workers, timeout, grace) != 0) return NULL;
  pc_names argv;
  if (pc_names_from(argv_obj, &argv) != 0) return NULL;
  if (argv.n == 0) {
    pc_names_free(&argv);
    return PyErr_Format(PyExc_ValueError, "launch_program needs a program in argv[0]");
  }
  char **cargv = calloc((size_t)argv.n + 1, sizeof(char *));
  int *codes = calloc((size_t)workers, sizeof(int));
  if (cargv == NULL || codes == NULL) {
    free(cargv);
    free(codes);
    pc_names_free(&argv);
    return PyErr_NoMemory();
  }
  for (int32_t i = 0; i < argv.n; i++) cargv[i] = (char *)argv.items[i];
  cy_launch_options o;
  cy_launch_options_init(&o);
  o.workers = workers;
  o.program = argv.items[0];
  o.argv = cargv;
  o.timeout_ms = (int64_t)(timeout * 1000.0);
  o.grace_ms = (int64_t)(grace * 1000.0);
  o.job = job;
  o.exit_codes = codes;
  flush_python_streams();
  cy_error err;
  cy_status st;
  /* the children execute the program at once, so Python may run on meanwhile */
  Py_BEGIN_ALLOW_THREADS st = cy_launch(&o, &err);
  Py_END_ALLOW_THREADS
  PyObject *result = launch_result(st, &err, codes, workers);
  free(codes);
  free(cargv);
  pc_names_free(&argv);
  return result;
}

static PyMethodDef dist_functions[] = {
    {"launch", (PyCFunction)(void (*)(void))mod_launch, METH_VARARGS | METH_KEYWORDS,
     "launch(run, workers, timeout=60.0, grace=3.0, job=None): forked local workers"},
    {"launch_program", (PyCFunction)(void (*)(void))mod_launch_program,
     METH_VARARGS | METH_KEYWORDS,
     "launch_program(argv, workers, timeout=60.0, grace=3.0, job=None): local workers "
     "running a program"},
    {NULL, NULL, 0, NULL}};

int pc_dist_init(PyObject *module) {
  if (PyType_Ready(&CommType) < 0) return -1;
  if (PyModule_AddObjectRef(module, "Comm", (PyObject *)&CommType) != 0) return -1;
  if (PyModule_AddFunctions(module, dist_functions) != 0) return -1;
  return 0;
}
