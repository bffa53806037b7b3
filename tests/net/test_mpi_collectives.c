/*
 * test_mpi_collectives.c - the checks of collective_checks.h over the mpi backend, with
 * ranks started by a real `mpirun -np N` of this very program at 1, 2, 3, 4 and 7 ranks
 * (7 oversubscribed on this machine).
 *
 * Run by ctest (no OMPI_COMM_WORLD_SIZE in the environment) it is the driver: it finds
 * mpirun (and fails, saying how to get it, when there is none), runs itself under it and
 * checks the exit status. Under mpirun it is a rank: open the "mpi" backend with the
 * "env" bootstrap (which reads OMPI_COMM_WORLD_RANK/SIZE), run the checks, close.
 * Under AddressSanitizer, each rank checks for leaks before OpenMPI finalizes (at exit),
 * and OpenMPI's own leaks from its initialization are suppressed by mpi_lsan.supp next to
 * this file (and only those).
 */
#include <limits.h>
#include <sys/wait.h>

#include "net/collective_checks.h"

#if __has_include(<mpi.h>)
#include <mpi.h>
#define HAVE_MPI_H 1
#endif

/* LeakSanitizer's interface, when linked in (a sanitizer build). */
void __lsan_do_leak_check(void) __attribute__((weak));
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

static int rank_main(void) {
#ifdef HAVE_MPI_H
  /* Under LeakSanitizer the program initializes MPI itself (the backend then neither
   * initializes nor finalizes it), so that LSan ignores what OpenMPI's initialization
   * keeps (in plugins it unloads, whose stacks cannot be told apart) and nothing else.
   * Elsewhere the backend initializes MPI, and finalizes it at exit. */
  bool own_init = __lsan_disable != NULL;
  if (own_init) {
    __lsan_disable();
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided);
    __lsan_enable();
  }
#endif
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.backend = "mpi";
  o.timeout_ms = 120000;
  cy_comm *comm = NULL;
  OK(cy_comm_open(&o, &comm, &err));
  if (comm == NULL) return 1;
  int world = atoi(getenv("OMPI_COMM_WORLD_SIZE"));
  int rc = check_all(comm, world, "mpi");
  /* a second communicator in the same process: its own messages, same results */
  cy_comm *again = NULL;
  OK(cy_comm_open(&o, &again, &err));
  if (again) {
    int64_t v = cy_comm_rank(again) + 1;
    OK(cy_comm_allreduce(again, &v, 1, CY_REDUCE_INT64, CY_REDUCE_SUM, &err));
    CHECK_EQ_INT(v, (int64_t)world * (world + 1) / 2);
    cy_comm_close(again);
  }
  cy_comm_close(comm);
  /* Under LeakSanitizer: check for leaks now, while OpenMPI still holds its memory; what
   * its finalize then drops in plugins it has unloaded cannot be told from ours, so the
   * check at exit is skipped (LSan checks once). */
  if (__lsan_do_leak_check) __lsan_do_leak_check();
#ifdef HAVE_MPI_H
  if (own_init) MPI_Finalize();
#endif
  return rc || test_failures ? 1 : 0;
}

static int run_mpirun(const char *self, int np) {
  char npstr[16];
  snprintf(npstr, sizeof npstr, "%d", np);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    const char *argv[] = {"mpirun", "--allow-run-as-root", "--oversubscribe", "-np", npstr,
                          "--mca", "btl", "self,vader,tcp", "--mca",
                          "btl_vader_single_copy_mechanism", "none", self, NULL};
    execvp("mpirun", (char *const *)argv);
    _exit(127);
  }
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void) {
  if (getenv("OMPI_COMM_WORLD_SIZE")) return rank_main();
  if (system("command -v mpirun >/dev/null 2>&1") != 0) {
    fprintf(stderr, "FAIL: mpirun is not installed (scripts/install-deps installs the Debian "
                    "packages openmpi-bin and libopenmpi-dev)\n");
    return 1;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("readlink /proc/self/exe");
    return 1;
  }
  self[n] = 0;
  /* OpenMPI leaks by design at exit; only its leaks are suppressed (when under ASan). */
  const char *src = getenv("CYLON_SOURCE_DIR");
  if (src) {
    char lsan[PATH_MAX + 64];
    const char *old = getenv("LSAN_OPTIONS");
    snprintf(lsan, sizeof lsan, "%s%sprint_suppressions=0:suppressions=%s/tests/net/mpi_lsan.supp", old ? old : "",
             old ? ":" : "", src);
    setenv("LSAN_OPTIONS", lsan, 1);
    /* keep OpenMPI's plugins loaded, so that leak stacks name them (not "unknown") */
    setenv("OMPI_MCA_mca_base_component_disable_dlclose", "1", 1);
    setenv("PMIX_MCA_mca_base_component_disable_dlclose", "1", 1);
  }
  setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 1);
  static const int worlds[] = {1, 2, 3, 4, 7};
  for (size_t i = 0; i < sizeof worlds / sizeof worlds[0]; i++) {
    double t0 = cy_now();
    int rc = run_mpirun(self, worlds[i]);
    fprintf(stderr, "mpirun -np %d: %.1f s\n", worlds[i], cy_now() - t0);
    if (rc != 0) fprintf(stderr, "mpirun -np %d: exit status %d\n", worlds[i], rc);
    CHECK_EQ_INT(rc, 0);
  }
  TEST_MAIN_END();
}
