/*
 * test_worker.c - the plan handler of `cylon worker` (cy_lambda_plan_handler) called
 * directly: a job event without Redis (world 1) runs its plan and writes under the output
 * prefix (the result checked against sums computed by hand), and malformed events are
 * refused with messages naming the problem, writing nothing. The event's env holds for its
 * own run only: the next event starts from the environment as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char dir[256];

static cy_status handle(const char *event, cy_lambda_result *r) {
  memset(r, 0, sizeof *r);
  cy_lambda_invocation inv = {.request_id = "req-1", .deadline_ms = 0, .function_arn = "",
                              .trace_id = "", .event = event, .event_len = strlen(event)};
  return cy_lambda_plan_handler(&inv, NULL, r);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/cylon-test-worker-%d", (int)getpid());
  mkdir(dir, 0700);
  char path[512], event[2048];
  snprintf(path, sizeof path, "%s/in.csv", dir);
  FILE *f = fopen(path, "w");
  fputs("k,v\n1,10\n2,20\n1,5\n3,-7\n2,1\n", f);
  fclose(f);
  cy_lambda_result r;

  /* A world-1 job: groupby k, sum v, written under OUTPUT/rank-00000/. */
  snprintf(event, sizeof event,
           "{\"job\":\"t1\",\"world\":1,\"plan\":{\"steps\":["
           "{\"id\":\"a\",\"op\":\"read\",\"path\":\"%s\"},"
           "{\"id\":\"g\",\"op\":\"groupby\",\"input\":\"a\",\"by\":[\"k\"],\"aggs\":{\"v\":[\"sum\"]}},"
           "{\"id\":\"s\",\"op\":\"sort\",\"input\":\"g\",\"by\":[\"k\"]},"
           "{\"op\":\"write\",\"input\":\"s\",\"path\":\"sums.csv\"}]},"
           "\"env\":{\"CYLON_TEST_VAR\":\"x\",\"CYLON_TEST_KEEP\":\"y\"},"
           "\"output\":\"%s/out\",\"invocation\":0}", path, dir);
  setenv("CYLON_TEST_KEEP", "before", 1);
  CHECK_EQ_INT(handle(event, &r), CY_OK);
  CHECK(r.response && strstr(r.response, "\"rows_read\":5") && strstr(r.response, "\"rows_written\":3"));
  CHECK(r.response && strstr(r.response, "\"seconds\":{\"bootstrap\""));
  free(r.response);
  snprintf(path, sizeof path, "%s/out/rank-00000/sums.csv", dir);
  CHECK_EQ_STR(slurp(path), "k,v_sum\n1,15\n2,21\n3,-7\n"); /* 10+5, 20+1, -7 */
  CHECK_EQ_STR(getenv("CYLON_TEST_VAR"), "x");
  CHECK_EQ_STR(getenv("CYLON_TEST_KEEP"), "y");

  /* Refusals: each names its cause. */
  static const struct { const char *event, *type, *needle; } bad[] = {
      {"not json", "EventError", "event: line 1"},
      {"[]", "EventError", "expected an object"},
      {"{\"job\":\"a b\",\"plan\":{\"steps\":[]}}", "EventError", "\"job\" must be"},
      {"{\"job\":\"j\",\"plan\":{\"steps\":[]},\"surprise\":1}", "EventError", "unknown key \"surprise\""},
      {"{\"job\":\"j\",\"world\":0,\"plan\":{}}", "EventError", "\"world\" must be"},
      {"{\"job\":\"j\",\"world\":2,\"plan\":{}}", "EventError", "needs \"bootstrap\""},
      {"{\"job\":\"j\"}", "EventError", "\"plan\" must be"},
      {"{\"job\":\"j\",\"invocation\":-1,\"plan\":{}}", "EventError", "\"invocation\" must be"},
      {"{\"job\":\"j\",\"plan\":{},\"env\":{\"PATH\":\"/x\"}}", "EventError", "only AWS_* and CYLON_*"},
      {"{\"job\":\"j\",\"plan\":{\"steps\":[{\"op\":\"frob\"}]}}", "PlanError", "unknown op \"frob\""},
      {"{\"job\":\"j\",\"output\":\"/tmp/x\",\"plan\":{\"steps\":[{\"id\":\"a\",\"op\":\"read\",\"path\":\"a.csv\"},"
       "{\"op\":\"write\",\"input\":\"a\",\"path\":\"/etc/owned.csv\"}]}}", "PlanError", "must be relative"},
      {"{\"job\":\"j\",\"output\":\"/tmp/x\",\"plan\":{\"steps\":[{\"id\":\"a\",\"op\":\"read\",\"path\":\"a.csv\"},"
       "{\"op\":\"write\",\"input\":\"a\",\"path\":\"../up.csv\"}]}}", "PlanError", "must be relative"},
      {"{\"job\":\"j\",\"bootstrap\":{\"redis\":\"redis://127.0.0.1:notaport\"},\"plan\":{}}",
       "BootstrapError", "bad Redis address"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cy_status st = handle(bad[i].event, &r);
    if (st == CY_OK || strcmp(r.error_type, bad[i].type) != 0 ||
        !strstr(r.error.message, bad[i].needle)) {
      fprintf(stderr, "case %zu: expected %s with \"%s\", got %d %s \"%s\"\n", i, bad[i].type,
              bad[i].needle, st, r.error_type, r.error.message);
      test_failures++;
    }
    free(r.response);
  }
  /* The first event's variables are gone again (the refused events carried none). */
  CHECK(getenv("CYLON_TEST_VAR") == NULL);
  CHECK_EQ_STR(getenv("CYLON_TEST_KEEP"), "before");
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  CHECK(system(cmd) == 0);
  TEST_MAIN_END();
}
