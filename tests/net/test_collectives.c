/*
 * test_collectives.c - the communicator's collectives and point-to-point messages across
 * 1, 2, 3, 4 and 7 ranks, each a real process started by cy_launch (a fork of this
 * program running worker()), over the tcp backend on loopback. The checks are in
 * collective_checks.h, shared with the other backends' tests.
 */
#include "net/collective_checks.h"

static int worker(void *arg) {
  int world = *(int *)arg;
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.bootstrap = "embedded";
  cy_comm *comm = NULL;
  OK(cy_comm_open(&o, &comm, &err));
  if (comm == NULL) return 1;
  int rc = check_all(comm, world, "tcp");
  cy_comm_close(comm);
  return rc;
}

int main(void) {
  static const int worlds[] = {1, 2, 3, 4, 7};
  for (size_t i = 0; i < sizeof worlds / sizeof worlds[0]; i++) {
    cy_error err;
    int world = worlds[i];
    cy_launch_options lo;
    cy_launch_options_init(&lo);
    lo.workers = world;
    lo.run = worker;
    lo.ctx = &world;
    OK(cy_launch(&lo, &err));
  }
  TEST_MAIN_END();
}
