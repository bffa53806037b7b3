/*
 * cmd_worker.c - `cylon worker`: the AWS Lambda custom runtime of cylon (the `bootstrap` of
 * a provided.al2023 function, or the default bootstrap of `cylon lambda-local`). It loops on
 * the Runtime API and runs each job event's plan as one rank (docs/serverless.md).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void help_worker(FILE *out) {
  fprintf(out,
          "usage: cylon worker [--once]\n\n"
          "Serve Lambda invocations: ask the Runtime API (AWS_LAMBDA_RUNTIME_API) for the next\n"
          "job event, run its plan as one rank, answer with metrics JSON (or the error).\n"
          "Meant to be a function's bootstrap; see docs/serverless.md for the event.\n\n"
          "  --once     serve one invocation and exit\n");
}

int cmd_worker(int argc, char **argv) {
  cy_lambda_runtime_options opts;
  cy_lambda_runtime_options_init(&opts);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--once") == 0) opts.max_invocations = 1;
    else return cli_fail("worker", "unknown option %s (see cylon worker --help)", argv[i]);
  }
  cy_error err;
  if (cy_lambda_runtime_loop(cy_lambda_plan_handler, NULL, &opts, &err) != CY_OK)
    return cli_fail("worker", "%s", err.message);
  return 0;
}
