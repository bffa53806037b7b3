/*
 * redis_server.h - a real redis-server for the net tests: started on a free 127.0.0.1
 * port (optionally with a password), waited for, scanned for leftover keys, and stopped.
 * A machine without redis-server fails the test, saying how to get it.
 */
#ifndef CYLON_TEST_REDIS_SERVER_H
#define CYLON_TEST_REDIS_SERVER_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/redis_conn.h"
#include "test.h"

typedef struct test_redis {
  pid_t pid;
  int port;
  char url[320]; /* redis://[:PASSWORD@]127.0.0.1:PORT */
  redis_url parsed;
} test_redis;

/* A port that was free a moment ago. */
static inline int test_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    perror("free port");
    exit(1);
  }
  close(fd);
  return ntohs(a.sin_port);
}

/* Start redis-server (password may be NULL); exits the test when it cannot. */
static inline void test_redis_start(test_redis *s, const char *password) {
  if (system("command -v redis-server >/dev/null 2>&1") != 0) {
    fprintf(stderr, "FAIL: redis-server is not installed (scripts/install-deps installs the "
                    "Debian package redis-server)\n");
    exit(1);
  }
  memset(s, 0, sizeof *s);
  s->port = test_free_port();
  char port[16];
  snprintf(port, sizeof port, "%d", s->port);
  s->pid = fork();
  if (s->pid == 0) {
    int null = open("/dev/null", 1);
    if (null >= 0) dup2(null, 1);
    const char *argv[20] = {"redis-server", "--port", port, "--bind", "127.0.0.1",
                            "--save", "", "--appendonly", "no", "--protected-mode", "no",
                            "--loglevel", "warning"};
    int argc = 13;
    if (password) argv[argc++] = "--requirepass", argv[argc++] = password;
    argv[argc] = NULL;
    execvp("redis-server", (char *const *)argv);
    _exit(127);
  }
  snprintf(s->url, sizeof s->url, "redis://%s%s%s127.0.0.1:%d", password ? ":" : "",
           password ? password : "", password ? "@" : "", s->port);
  cy_error err;
  OK(redis_url_parse(s->url, &s->parsed, &err));
  redis_conn c;
  /* redis_conn_open retries refused connections until the server listens */
  if (redis_conn_open(&s->parsed, cy_now() + 10, &c, &err) != CY_OK) {
    fprintf(stderr, "FAIL: redis-server on port %d did not come up: %s\n", s->port,
            err.message);
    kill(s->pid, SIGKILL);
    exit(1);
  }
  redis_conn_close(&c);
}

/* How many keys match pattern (SCAN over the whole server); with without_ttl, only those
 * that would never expire. */
static inline long test_redis_scan(test_redis *s, const char *pattern, bool without_ttl) {
  cy_error err;
  redis_conn c;
  if (redis_conn_open(&s->parsed, cy_now() + 5, &c, &err) != CY_OK) {
    fprintf(stderr, "scan: %s\n", err.message);
    return -1;
  }
  long n = 0;
  char cursor[32] = "0";
  do {
    redisReply *r = NULL;
    if (redis_runv(&c, cy_now() + 5, &r, &err, "SCAN", cursor, "MATCH", pattern, "COUNT",
                   "1000", NULL) != CY_OK) {
      fprintf(stderr, "scan: %s\n", err.message);
      n = -1;
      break;
    }
    snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
    for (size_t i = 0; i < r->element[1]->elements; i++) {
      const char *key = r->element[1]->element[i]->str;
      if (without_ttl) {
        redisReply *t = NULL;
        if (redis_runv(&c, cy_now() + 5, &t, &err, "TTL", key, NULL) == CY_OK &&
            t->integer == -1) {
          fprintf(stderr, "  key without a TTL: %s\n", key);
          n++;
        }
        freeReplyObject(t);
        continue;
      }
      if (n < 5) fprintf(stderr, "  key left: %s\n", key);
      n++;
    }
    freeReplyObject(r);
  } while (strcmp(cursor, "0") != 0);
  redis_conn_close(&c);
  return n;
}

static inline long test_redis_count_keys(test_redis *s, const char *pattern) {
  return test_redis_scan(s, pattern, false);
}

static inline void test_redis_stop(test_redis *s) {
  if (s->pid <= 0) return;
  kill(s->pid, SIGTERM);
  int status;
  waitpid(s->pid, &status, 0);
  s->pid = 0;
}

#endif
