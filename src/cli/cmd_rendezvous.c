/*
 * cmd_rendezvous.c - `cylon rendezvous`: the server through which ranks behind NATs find
 * and reach each other (hole punching, else relaying; docs/nat.md).
 *
 * It runs until SIGINT or SIGTERM, logging a line per registration, pairing, relay and
 * refusal on standard error. The token comes from --token or, better (command lines are
 * visible to every user of the machine), from CYLON_RENDEZVOUS_TOKEN. The first line on
 * standard output says where it listens, so a script that asked for port 0 learns it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static volatile int stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

void help_rendezvous(FILE *out) {
  fprintf(out,
          "usage: cylon rendezvous --port P [--bind HOST] [--token TOKEN] [--quiet]\n\n"
          "Serve NAT traversal for the tcp backend: ranks register from the port they use\n"
          "for their peers, learn their public address, and every pair connects at once\n"
          "(hole punching); pairs that cannot are relayed through this server. Ranks point\n"
          "at it with CYLON_RENDEZVOUS=HOST:P (or cy_comm_options.rendezvous) and must hold\n"
          "the same token (CYLON_RENDEZVOUS_TOKEN); strangers are refused.\n\n"
          "  --port P       the port to listen on (0: any free one; printed on stdout)\n"
          "  --bind HOST    the address to listen on (default 0.0.0.0, every IPv4 address)\n"
          "  --token TOKEN  the jobs' token (default: $CYLON_RENDEZVOUS_TOKEN)\n"
          "  --quiet        no log lines on stderr\n");
}

int cmd_rendezvous(int argc, char **argv) {
  const char *bind = NULL, *token = getenv("CYLON_RENDEZVOUS_TOKEN");
  int64_t port = -1;
  bool quiet = false;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if (strcmp(a, "--port") == 0 && has_value) {
      if (!cli_parse_int(argv[++i], &port) || port < 0 || port > 65535)
        return cli_fail("rendezvous", "--port '%s' is not a port number (0 to 65535)", argv[i]);
    } else if (strcmp(a, "--bind") == 0 && has_value) {
      bind = argv[++i];
    } else if (strcmp(a, "--token") == 0 && has_value) {
      token = argv[++i];
    } else if (strcmp(a, "--quiet") == 0) {
      quiet = true;
    } else {
      fprintf(stderr, "cylon rendezvous: unexpected argument '%s'\n\n", a);
      help_rendezvous(stderr);
      return 2;
    }
  }
  if (port < 0) {
    fprintf(stderr, "cylon rendezvous: --port is required\n\n");
    help_rendezvous(stderr);
    return 2;
  }
  if (token == NULL || token[0] == 0)
    return cli_fail("rendezvous", "no token: set CYLON_RENDEZVOUS_TOKEN (or --token) to the "
                    "secret your jobs' ranks present");
  cy_error err;
  cy_rendezvous *server;
  if (cy_rendezvous_open(bind, (int)port, token, !quiet, &server, &err) != CY_OK)
    return cli_fail("rendezvous", "%s", err.message);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  printf("listening on %s:%d\n", bind ? bind : "0.0.0.0", cy_rendezvous_port(server));
  fflush(stdout);
  cy_status st = cy_rendezvous_run(server, &stop_requested, &err);
  int64_t paired, refused, relayed;
  cy_rendezvous_counts(server, &paired, &refused, &relayed);
  cy_rendezvous_close(server);
  if (!quiet)
    fprintf(stderr, "rendezvous: stopped (%lld jobs paired, %lld pairs relayed, %lld "
            "connections refused)\n", (long long)paired, (long long)relayed, (long long)refused);
  if (st != CY_OK) return cli_fail("rendezvous", "%s", err.message);
  return 0;
}
