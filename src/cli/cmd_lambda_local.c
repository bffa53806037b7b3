/*
 * cmd_lambda_local.c - `cylon lambda-local`: a local host of the Lambda Invoke API and
 * Runtime API on 127.0.0.1 (cy_lambda_local_serve), so that `cylon submit` and its workers
 * run on one machine exactly as on AWS; only the endpoint differs.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void help_lambda_local(FILE *out) {
  fprintf(out,
          "usage: cylon lambda-local [--port P] [options] [-- BOOTSTRAP ARGS...]\n\n"
          "Host Lambda functions on 127.0.0.1:P: POST /2015-03-31/functions/NAME/invocations\n"
          "(InvocationType RequestResponse, Event or DryRun) starts or reuses a process per\n"
          "concurrent invocation running the bootstrap (default: this `cylon worker`) with\n"
          "the Lambda variables and its own Runtime API endpoint.\n\n"
          "  --port P          port to listen on (default 9001; 0 picks a free one)\n"
          "  --memory MB       memory limit per process, and AWS_LAMBDA_FUNCTION_MEMORY_SIZE\n"
          "                    (default 1024; 0 for no limit)\n"
          "  --timeout S       seconds per invocation before the process is killed (default 60)\n"
          "  --concurrency N   most processes at once (default 64)\n"
          "  --ready-file F    write the port to F once listening\n"
          "  --bind ADDR       IPv4 address to listen on, given to workers (default 127.0.0.1)\n"
          "  --worker-netns NS1,NS2,...\n"
          "                    test/lab option (needs root): environment k runs in network\n"
          "                    namespace NS(k mod n) (/var/run/netns/NAME, or a path)\n");
}

static volatile int stop_flag;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

int cmd_lambda_local(int argc, char **argv) {
  cy_lambda_local_options opts;
  cy_lambda_local_options_init(&opts);
  opts.port = 9001;
  for (int i = 1; i < argc; i++) {
    int64_t v;
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--") == 0) {
      if (i + 1 >= argc) return cli_fail("lambda-local", "no bootstrap command after --");
      opts.bootstrap = argv + i + 1;
      break;
    } else if (strcmp(a, "--ready-file") == 0 && has_value) {
      opts.ready_file = argv[++i];
    } else if (strcmp(a, "--bind") == 0 && has_value) {
      opts.bind = argv[++i];
    } else if (strcmp(a, "--worker-netns") == 0 && has_value) {
      opts.worker_netns = argv[++i];
    } else if ((strcmp(a, "--port") == 0 || strcmp(a, "--memory") == 0 ||
                strcmp(a, "--timeout") == 0 || strcmp(a, "--concurrency") == 0) && has_value) {
      if (!cli_parse_int(argv[++i], &v) || v < 0 || v > 1000000)
        return cli_fail("lambda-local", "%s: bad value \"%s\"", a, argv[i]);
      if (strcmp(a, "--port") == 0) {
        if (v > 65535) return cli_fail("lambda-local", "--port: %lld is not a port", (long long)v);
        opts.port = (int)v;
      } else if (strcmp(a, "--memory") == 0) opts.memory_mb = v;
      else if (strcmp(a, "--timeout") == 0) opts.timeout_s = v;
      else opts.concurrency = (int32_t)v;
    } else {
      return cli_fail("lambda-local", "unknown option or missing value: %s", a);
    }
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  opts.stop = &stop_flag;
  cy_error err;
  if (cy_lambda_local_serve(&opts, &err) != CY_OK) return cli_fail("lambda-local", "%s", err.message);
  return 0;
}
