/*
 * test_redis_collectives.c - the checks of collective_checks.h over the redis backend, at
 * 1, 2, 3, 4 and 7 ranks (processes started by cy_launch, bootstrapped by its
 * rendezvous), through a real redis-server started here on a free loopback port. Then the
 * same over the redis:// bootstrap at 3 ranks (no launcher rendezvous at all). Afterwards
 * no key is left on the server.
 */
#include "net/collective_checks.h"
#include "net/redis_server.h"

static const char *bootstrap_url; /* NULL: the launcher's ("embedded") */

static int worker(void *arg) {
  int world = *(int *)arg;
  cy_error err;
  cy_comm_options o;
  cy_comm_options_init(&o);
  o.backend = "redis";
  o.bootstrap = bootstrap_url ? bootstrap_url : "embedded";
  o.world_size = world;
  cy_comm *comm = NULL;
  OK(cy_comm_open(&o, &comm, &err));
  if (comm == NULL) return 1;
  int rc = check_all(comm, world, "redis");
  cy_comm_close(comm);
  return rc;
}

static void run(int world) {
  cy_error err;
  cy_launch_options lo;
  cy_launch_options_init(&lo);
  lo.workers = world;
  lo.run = worker;
  lo.ctx = &world;
  OK(cy_launch(&lo, &err));
}

int main(void) {
  check_scale = 4; /* 16 MB alltoalls: Redis is a relay, not a network */
  test_redis s;
  test_redis_start(&s, NULL);
  setenv("CYLON_REDIS", s.url, 1);
  static const int worlds[] = {1, 2, 3, 4, 7};
  for (size_t i = 0; i < sizeof worlds / sizeof worlds[0]; i++) run(worlds[i]);
  CHECK_EQ_INT(test_redis_count_keys(&s, "*"), 0);
  /* With the redis:// bootstrap the launcher's rendezvous is not used; ranks still come
   * from cy_launch, which does not mind. */
  unsetenv("CYLON_REDIS");
  bootstrap_url = s.url;
  run(3);
  CHECK_EQ_INT(test_redis_count_keys(&s, "*"), 0);
  test_redis_stop(&s);
  TEST_MAIN_END();
}
