/*
 * fuzz_rendezvous.c - libFuzzer target for the rendezvous server's message parsers
 * (src/net/nat_wire.c), which read whatever a stranger on the internet sends.
 *
 * Any input, taken as the body of a request and of a reply (for worlds of 0 to 3 ranks):
 * the parsers must not crash, leak or trip a sanitizer; they either fail with a reason or
 * succeed with fields within their limits. A request that parses is encoded again and
 * must parse to the same fields (the encoder and the parser agree).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/nat.h" /* private to the library */

static void check_request(const uint8_t *data, size_t size) {
  nat_request rq, again;
  char why[NAT_REASON_MAX];
  why[0] = 0;
  if (!nat_request_parse(data, size, &rq, why, sizeof why)) {
    if (why[0] == 0) abort(); /* a failure always says why */
    return;
  }
  if (rq.rank < 0 || rq.rank >= rq.world || rq.world > NAT_WORLD_MAX) abort();
  if (rq.kind == NAT_RELAY && (rq.peer < 0 || rq.peer >= rq.world || rq.peer == rq.rank))
    abort();
  net_msg m;
  if (!nat_request_encode(&m, &rq)) {
    net_msg_free(&m);
    return; /* out of memory */
  }
  if (!nat_request_parse(m.data + 4, m.len - 4, &again, why, sizeof why)) abort();
  if (again.kind != rq.kind || again.rank != rq.rank || again.world != rq.world ||
      again.peer != rq.peer || again.wait_ms != rq.wait_ms ||
      strcmp(again.token, rq.token) != 0 || strcmp(again.job, rq.job) != 0)
    abort();
  net_msg_free(&m);
}

static void check_reply(const uint8_t *data, size_t size, int32_t world) {
  nat_reply r;
  char why[NAT_REASON_MAX];
  if (!nat_reply_parse(data, size, world, &r, why, sizeof why)) return;
  if (r.kind == NAT_PEERS) {
    if (r.world != world) abort();
    for (int32_t i = 0; i < r.world; i++)
      if (r.endpoints[i] == NULL || strlen(r.endpoints[i]) >= COMM_ENDPOINT_MAX) abort();
  }
  nat_reply_reset(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_request(data, size);
  for (int32_t world = 0; world < 4; world++) check_reply(data, size, world);
  return 0;
}
