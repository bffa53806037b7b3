/*
 * cli.h - what the `cylon` command's subcommands share: the command table, reading and
 * writing tables by file extension, and human-readable numbers.
 */
#ifndef CYLON_CLI_H
#define CYLON_CLI_H

#include <stdio.h>

#include "cylon/cylon.h"

/* One subcommand: `cylon NAME ...`. */
typedef struct cli_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv); /* argv[0] is the command name */
  void (*help)(FILE *out);
} cli_command;

int cmd_run(int argc, char **argv);
void help_run(FILE *out);
int cmd_gen(int argc, char **argv);
void help_gen(FILE *out);
int cmd_head(int argc, char **argv);
void help_head(FILE *out);
int cmd_schema(int argc, char **argv);
void help_schema(FILE *out);
int cmd_convert(int argc, char **argv);
void help_convert(FILE *out);
int cmd_worker(int argc, char **argv);
void help_worker(FILE *out);
int cmd_lambda_local(int argc, char **argv);
void help_lambda_local(FILE *out);
int cmd_submit(int argc, char **argv);
void help_submit(FILE *out);
int cmd_rendezvous(int argc, char **argv);
void help_rendezvous(FILE *out);

/* Options for reading input files, shared by the commands that read. */
typedef struct cli_read_options {
  cy_csv_read_options csv;
  const char *nulls[16];
  char *type_names[256];
  cy_type types[256];
} cli_read_options;

void cli_read_options_init(cli_read_options *o);
/* Take a read option at argv[*i] (--delimiter, --no-header, --null, --types, --sample);
 * returns 1 when taken (advancing *i past its value), 0 when not a read option, -1 on a
 * bad value (message printed). */
int cli_read_option(cli_read_options *o, int argc, char **argv, int *i);
void cli_read_options_reset(cli_read_options *o);
/* Help text lines for the read options. */
void cli_read_options_help(FILE *out);

/* Read a table from a file whose format comes from its extension. */
cy_status cli_read_table(const char *path, const cli_read_options *o, cy_table **out,
                         cy_error *err);
/* Write a table to a file whose format comes from its extension. */
cy_status cli_write_table(const cy_table *t, const char *path,
                          const cy_table_write_options *opts, cy_error *err);

/* Whole-string number parsing for option values (false on anything else). */
bool cli_parse_int(const char *s, int64_t *out);
bool cli_parse_uint(const char *s, uint64_t *out);
bool cli_parse_double(const char *s, double *out);

/* "12,345,678" */
const char *cli_count(int64_t n, char *buf, size_t size);
/* "158.2 MB" */
const char *cli_bytes(int64_t n, char *buf, size_t size);
/* Size of a file in bytes, or -1. */
int64_t cli_file_size(const char *path);
/* Print "cylon CMD: MESSAGE" to stderr; returns 1 (the exit status for errors). */
int cli_fail(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
