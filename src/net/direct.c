/*
 * direct.c - copying bytes straight into another rank's memory, for ranks on one machine.
 *
 * Ranks that cy_launch forks, or that mpirun or a local Lambda host starts on one machine,
 * can exchange large tables without sockets. A socket moves every byte through the kernel
 * twice (into the socket buffer and out of it) and pays for loopback packets on top; on a
 * small machine that is most of a shuffle's time. Here a rank copies its bytes into the
 * peer's memory with one process_vm_writev (one kernel copy), at an address the peer gave
 * it, and a collective afterwards tells the peer that the bytes are there. MPI's
 * shared-memory transports do the same (CMA).
 *
 * Whether it works is found out once per communicator, collectively
 * (cy_comm_direct_available): every rank shares its machine (the kernel's boot id), its
 * pid namespace, its pid, whether it allows direct transfers (CYLON_DIRECT=0 says no) and
 * the address of a probe array. When all are alike, each rank writes one byte into every
 * peer's probe array, and an allreduce tells every rank whether every write went through
 * (a process of another user, a seccomp filter or a ptrace policy makes them fail). So
 * the answer is the same on every rank.
 *
 * Safety: a peer writes into memory we gave it until it reaches the collective that ends
 * the transfer. If we fail before then, that memory must not be reused while a peer may
 * still be writing: cy_comm_direct_hold keeps such buffers until the communicator closes,
 * and a writer checks before every write that the communicator has not failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/comm_internal.h"

/* What a rank tells the others about itself (all fields 64-bit: no padding travels). */
typedef struct direct_card {
  uint64_t pid, ns_dev, ns_ino, probe, allow;
  char boot_id[48];
} direct_card;

/* The kernel's boot id: the same for every process of one machine (and its containers),
 * different on every other machine and after every reboot. */
static void read_boot_id(char *out, size_t size) {
  memset(out, 0, size);
  FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
  if (f == NULL) return;
  if (fgets(out, (int)size, f) == NULL) out[0] = '\0';
  fclose(f);
}

bool cy_comm_direct_wanted(void) {
  const char *v = getenv("CYLON_DIRECT");
  return v == NULL || strcmp(v, "0") != 0;
}

/* Copy lens bytes from local to remote in pid, however many calls it takes. */
static cy_status write_all(pid_t pid, int32_t peer, uint64_t remote, const void *local,
                           int64_t len, cy_error *err) {
  while (len > 0) {
    struct iovec l = {(void *)local, (size_t)len}, r = {(void *)(uintptr_t)remote, (size_t)len};
    ssize_t n = process_vm_writev(pid, &l, 1, &r, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      cy_error_set(err, "direct transfer to rank %d (pid %lld) failed: %s", (int)peer,
                   (long long)pid, n < 0 ? strerror(errno) : "no bytes written");
      return CY_EIO;
    }
    local = (const uint8_t *)local + n;
    remote += (uint64_t)n;
    len -= n;
  }
  return CY_OK;
}

/* Find out whether direct transfers work between every pair of ranks (see the top). */
static cy_status direct_probe(cy_comm *comm, bool *ok, cy_error *err) {
  int32_t world = comm->world, me = comm->rank;
  *ok = false;
  if (comm->direct_probe == NULL) comm->direct_probe = calloc((size_t)world, 1);
  if (comm->direct_pids == NULL) comm->direct_pids = calloc((size_t)world, sizeof *comm->direct_pids);
  if (comm->direct_probe == NULL || comm->direct_pids == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  direct_card card;
  memset(&card, 0, sizeof card);
  struct stat ns;
  bool have_ns = stat("/proc/self/ns/pid", &ns) == 0;
  card.pid = (uint64_t)getpid();
  card.ns_dev = have_ns ? (uint64_t)ns.st_dev : 0;
  card.ns_ino = have_ns ? (uint64_t)ns.st_ino : 0;
  card.probe = (uint64_t)(uintptr_t)comm->direct_probe;
  read_boot_id(card.boot_id, sizeof card.boot_id);
  card.allow = have_ns && card.boot_id[0] != '\0' && cy_comm_direct_wanted();
  cy_buffer **all = NULL;
  CY_RETURN_NOT_OK(cy_comm_allgather(comm, &card, (int64_t)sizeof card, &all, err));
  bool alike = true;
  for (int32_t r = 0; r < world; r++) {
    direct_card c;
    if (all[r]->size != (int64_t)sizeof c) {
      alike = false;
      continue;
    }
    memcpy(&c, all[r]->data, sizeof c);
    comm->direct_pids[r] = (int64_t)c.pid;
    alike = alike && c.allow && c.ns_dev == card.ns_dev && c.ns_ino == card.ns_ino &&
            memcmp(c.boot_id, card.boot_id, sizeof c.boot_id) == 0;
    if (alike && r != me) { /* our rank's byte in its probe array */
      uint8_t one = 1;
      cy_error ignored;
      alike = write_all((pid_t)c.pid, r, c.probe + (uint64_t)me, &one, 1, &ignored) == CY_OK;
    }
  }
  cy_comm_buffers_free(comm, all);
  int64_t every = alike ? 1 : 0;
  CY_RETURN_NOT_OK(cy_comm_allreduce(comm, &every, 1, CY_REDUCE_INT64, CY_REDUCE_MIN, err));
  *ok = every == 1;
  return CY_OK;
}

cy_status cy_comm_direct_available(cy_comm *comm, bool *available, cy_error *err) {
  *available = false;
  if (comm->world == 1) return CY_OK;
  if (comm->direct == 0) {
    bool ok = false;
    CY_RETURN_NOT_OK(direct_probe(comm, &ok, err));
    comm->direct = ok ? 1 : -1;
  }
  *available = comm->direct == 1;
  return CY_OK;
}

cy_status cy_comm_direct_write(cy_comm *comm, int32_t peer, int32_t n, const uint64_t *remote,
                               const void *const *local, const int64_t *lens, cy_error *err) {
  if (comm->direct != 1 || peer < 0 || peer >= comm->world || peer == comm->rank) {
    cy_error_set(err, "direct transfer to rank %d: not available on this communicator",
                 (int)peer);
    return CY_EINVAL;
  }
  for (int32_t i = 0; i < n; i++) {
    if (atomic_load(&comm->failed)) {
      cy_error_set(err, "direct transfer to rank %d stopped: the communicator has failed",
                   (int)peer);
      return CY_EIO;
    }
    CY_RETURN_NOT_OK(
        write_all((pid_t)comm->direct_pids[peer], peer, remote[i], local[i], lens[i], err));
    atomic_fetch_add(&comm->bytes_sent, lens[i]);
  }
  return CY_OK;
}

void cy_comm_direct_hold(cy_comm *comm, cy_buffer *buf) {
  if (buf == NULL) return;
  if (comm->num_held == comm->held_cap) {
    int32_t cap = comm->held_cap ? 2 * comm->held_cap : 8;
    cy_buffer **h = realloc(comm->held, (size_t)cap * sizeof *h);
    if (h == NULL) { /* then it stays allocated for good: leaked rather than reused */
      cy_buffer_retain(buf);
      return;
    }
    comm->held = h;
    comm->held_cap = cap;
  }
  comm->held[comm->num_held++] = cy_buffer_retain(buf);
}

void comm_direct_release(cy_comm *comm) {
  for (int32_t i = 0; i < comm->num_held; i++) cy_buffer_release(comm->held[i]);
  free(comm->held);
  free(comm->direct_pids);
  free(comm->direct_probe);
}
