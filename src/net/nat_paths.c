/*
 * nat_paths.c - which path each of a rank's connections took (cy_comm_path), for job
 * summaries: "did every pair punch through, or did some go through the relay?"
 *
 * A communicator formed through a rendezvous keeps one entry per peer (nat_client.c fills
 * it); any other tcp communicator connected every pair directly, and backends without
 * connections of their own have no path to speak of.
 */
#include <stdlib.h>
#include <string.h>

#include "net/nat.h"

cy_status nat_paths_new(cy_comm *comm, cy_error *err) {
  comm->paths = malloc((size_t)comm->world);
  if (comm->paths == NULL) {
    cy_error_set(err, "out of memory");
    return CY_ENOMEM;
  }
  memset(comm->paths, CY_COMM_PATH_RELAY, (size_t)comm->world);
  comm->paths[comm->rank] = CY_COMM_PATH_SELF;
  return CY_OK;
}

cy_comm_path cy_comm_peer_path(const cy_comm *comm, int32_t peer) {
  if (peer < 0 || peer >= comm->world) return CY_COMM_PATH_NONE;
  if (peer == comm->rank) return CY_COMM_PATH_SELF;
  if (comm->paths) return (cy_comm_path)comm->paths[peer];
  return strcmp(comm->backend_name, "tcp") == 0 ? CY_COMM_PATH_DIRECT : CY_COMM_PATH_NONE;
}

const char *cy_comm_path_name(cy_comm_path path) {
  switch (path) {
  case CY_COMM_PATH_SELF: return "self";
  case CY_COMM_PATH_DIRECT: return "direct";
  case CY_COMM_PATH_RELAY: return "relay";
  default: return "none";
  }
}

char *cy_comm_paths(const cy_comm *comm, char *buf, size_t size) {
  size_t used = 0;
  if (size == 0) return buf;
  buf[0] = 0;
  for (int32_t p = 0; p < comm->world && used < size; p++) {
    if (p == comm->rank) continue;
    used += (size_t)snprintf(buf + used, size - used, "%s%d:%s", used ? " " : "", (int)p,
                             cy_comm_path_name(cy_comm_peer_path(comm, p)));
  }
  return buf;
}
