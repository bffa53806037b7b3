/*
 * main.c - the `cylon` command: dispatch to subcommands and the top-level help.
 *
 * Each subcommand lives in its own file (cmd_*.c) with its own --help. Exit status is 0 on
 * success, 1 on a failure (the message names the cause), 2 on bad usage.
 */
#include <string.h>

#include "cli/cli.h"

static const cli_command commands[] = {
    {"run", "run a plan: a JSON pipeline of table operators", cmd_run, help_run},
    {"gen", "generate a synthetic table (seeded, reproducible)", cmd_gen, help_gen},
    {"head", "read a table and show its first and last rows", cmd_head, help_head},
    {"schema", "show a table's columns and types", cmd_schema, help_schema},
    {"convert", "read a table in one format and write it in another", cmd_convert,
     help_convert},
    {"worker", "serve Lambda invocations: run job events' plans (a custom runtime)", cmd_worker,
     help_worker},
    {"lambda-local", "host Lambda's Invoke and Runtime APIs on 127.0.0.1", cmd_lambda_local,
     help_lambda_local},
    {"submit", "run a plan on N serverless functions (Lambda)", cmd_submit, help_submit},
    {"rendezvous", "NAT traversal for tcp ranks: hole punching, relay", cmd_rendezvous,
     help_rendezvous},
};
#define NUM_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out) {
  fprintf(out,
          "cylon - a distributed columnar data table\n\n"
          "usage: cylon COMMAND [OPTIONS]\n\ncommands:\n");
  for (size_t i = 0; i < NUM_COMMANDS; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'cylon COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    if (argc > 2) {
      for (size_t i = 0; i < NUM_COMMANDS; i++)
        if (strcmp(argv[2], commands[i].name) == 0) {
          commands[i].help(stdout);
          return 0;
        }
    }
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < NUM_COMMANDS; i++) {
    if (strcmp(argv[1], commands[i].name) != 0) continue;
    for (int a = 2; a < argc; a++) {
      if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
        commands[i].help(stdout);
        return 0;
      }
    }
    return commands[i].run(argc - 1, argv + 1);
  }
  fprintf(stderr, "cylon: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
