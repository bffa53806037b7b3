/*
 * job_redis.h - a serverless job's state in Redis (private to the serverless layer), shared
 * by the scheduler (`cylon submit`) and the workers. Every key carries the job's TTL and the
 * scheduler deletes them all when the job ends, whatever the outcome:
 *
 *   cylon:job:ID:token   the job's secret; a worker whose event carries another one refuses
 *   cylon:job:ID:rank    INCR counter handing out ranks 0..world-1
 *   cylon:job:ID:phase   hash rank -> current phase ("bootstrap", "read", "join", "done")
 *   cylon:job:ID:result  hash rank -> the rank's metrics JSON, or its error JSON
 *   cylon:job:ID:abort   set by the scheduler on failure; workers stop at the next step
 *   cylon:job:ID:invocation  hash invocation number (the scheduler's, from the event) ->
 *                        rank, so a failed invocation is reported by the rank it ran
 */
#ifndef CYLON_SERVERLESS_JOB_REDIS_H
#define CYLON_SERVERLESS_JOB_REDIS_H

#include <stdbool.h>
#include <stdint.h>

#include "cylon/core.h"

typedef struct job_redis job_redis;

/* Connect to redis://[:PASSWORD@]HOST:PORT (password may also be given apart; NULL: none),
 * within timeout_ms, and AUTH when there is a password. Errors name the address. */
cy_status job_redis_connect(const char *url, const char *password, int64_t timeout_ms,
                            job_redis **out, cy_error *err);
void job_redis_close(job_redis *r);

/* Scheduler: create the job (token, TTL in seconds); fails when the job id exists. */
cy_status job_redis_create(job_redis *r, const char *job, const char *token, int64_t ttl_s,
                           cy_error *err);
/* Delete every key of the job. */
cy_status job_redis_delete(job_redis *r, const char *job, cy_error *err);
/* Ask workers to stop. */
cy_status job_redis_abort(job_redis *r, const char *job, cy_error *err);

/* Worker: check the token (EACCES with a clear message when it differs or the job is
 * unknown), take a rank. */
cy_status job_redis_join(job_redis *r, const char *job, const char *token, int32_t world,
                         int32_t *rank, cy_error *err);
cy_status job_redis_set_phase(job_redis *r, const char *job, int32_t rank, const char *phase,
                              cy_error *err);
cy_status job_redis_set_result(job_redis *r, const char *job, int32_t rank, const char *json,
                               cy_error *err);
/* Worker: record which rank invocation number `invocation` (the event's) took. */
cy_status job_redis_set_invocation(job_redis *r, const char *job, int64_t invocation,
                                   int32_t rank, cy_error *err);
/* Scheduler: the rank invocation `invocation` took, or -1 (it never joined, or Redis
 * could not tell). */
int32_t job_redis_rank_of(job_redis *r, const char *job, int64_t invocation);
/* Whether the job still exists (its token key); true on a Redis error (unknown). */
bool job_redis_exists(job_redis *r, const char *job);
/* Whether the scheduler asked to stop (false on a Redis error). */
bool job_redis_aborted(job_redis *r, const char *job);

/* Scheduler: each rank's phase and result (malloc'ed strings or NULL), world entries each. */
cy_status job_redis_poll(job_redis *r, const char *job, int32_t world, char **phases,
                         char **results, cy_error *err);
/* How many keys of the job exist (tests: none after the end). */
int64_t job_redis_count_keys(job_redis *r, const char *job, cy_error *err);

#endif
