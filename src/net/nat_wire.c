/*
 * nat_wire.c - the messages between ranks and the rendezvous server (nat.h): encoding,
 * and parsing that trusts nothing it reads.
 *
 * The server parses whatever a stranger sends it, so the parser checks every field and
 * every length against what is left of the message and against the limits of nat.h, and
 * names what was wrong; a malformed message is a refusal, never a crash (fuzz/
 * fuzz_rendezvous.c runs these parsers on arbitrary bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "net/nat.h"

bool nat_request_encode(net_msg *m, const nat_request *rq) {
  net_msg_init(m);
  net_msg_u32(m, NAT_MAGIC);
  net_msg_u32(m, NAT_VERSION);
  net_msg_u32(m, rq->kind);
  net_msg_str(m, rq->token);
  net_msg_str(m, rq->job);
  net_msg_u32(m, (uint32_t)rq->rank);
  net_msg_u32(m, (uint32_t)rq->world);
  net_msg_u64(m, rq->wait_ms);
  if (rq->kind == NAT_RELAY) net_msg_u32(m, (uint32_t)rq->peer);
  return net_msg_finish(m);
}

static bool fail_why(char *why, size_t size, const char *text) {
  snprintf(why, size, "%s", text);
  return false;
}

bool nat_request_parse(const uint8_t *body, size_t len, nat_request *out, char *why,
                       size_t why_size) {
  net_reader r = {body, len, true};
  memset(out, 0, sizeof *out);
  out->peer = -1;
  uint32_t magic = net_read_u32(&r), version = net_read_u32(&r);
  if (!r.ok || magic != NAT_MAGIC) return fail_why(why, why_size, "not a cylon rendezvous request");
  if (version != NAT_VERSION) {
    snprintf(why, why_size, "rendezvous protocol version %u, but this server speaks %u",
             (unsigned)version, (unsigned)NAT_VERSION);
    return false;
  }
  out->kind = net_read_u32(&r);
  net_read_str(&r, out->token, sizeof out->token);
  if (!r.ok) return fail_why(why, why_size, "a malformed request: bad token field");
  net_read_str(&r, out->job, sizeof out->job);
  if (!r.ok) return fail_why(why, why_size, "a malformed request: bad job id field");
  uint32_t rank = net_read_u32(&r), world = net_read_u32(&r);
  out->wait_ms = net_read_u64(&r);
  uint32_t peer = out->kind == NAT_RELAY ? net_read_u32(&r) : 0;
  if (!r.ok) return fail_why(why, why_size, "a malformed request: it ends too soon");
  if (r.left != 0) return fail_why(why, why_size, "a malformed request: bytes after its end");
  if (out->kind != NAT_REGISTER && out->kind != NAT_RELAY) {
    snprintf(why, why_size, "a request of unknown kind %u", (unsigned)out->kind);
    return false;
  }
  if (world < 1 || world > NAT_WORLD_MAX) {
    snprintf(why, why_size, "a world of %u ranks (1 to %d are paired)", (unsigned)world,
             NAT_WORLD_MAX);
    return false;
  }
  if (rank >= world) {
    snprintf(why, why_size, "rank %u is outside the world of %u", (unsigned)rank,
             (unsigned)world);
    return false;
  }
  if (out->kind == NAT_RELAY && (peer >= world || peer == rank)) {
    snprintf(why, why_size, "rank %u asked to be relayed to rank %u of %u", (unsigned)rank,
             (unsigned)peer, (unsigned)world);
    return false;
  }
  if (out->job[0] == 0) return fail_why(why, why_size, "a request without a job id");
  out->rank = (int32_t)rank;
  out->world = (int32_t)world;
  out->peer = out->kind == NAT_RELAY ? (int32_t)peer : -1;
  return true;
}

void nat_reply_reset(nat_reply *r) {
  comm_strings_free(r->endpoints, r->world);
  memset(r, 0, sizeof *r);
}

bool nat_reply_parse(const uint8_t *body, size_t len, int32_t expect_world, nat_reply *out,
                     char *why, size_t why_size) {
  net_reader r = {body, len, true};
  memset(out, 0, sizeof *out);
  uint32_t magic = net_read_u32(&r);
  out->kind = net_read_u32(&r);
  if (!r.ok || magic != NAT_MAGIC) return fail_why(why, why_size, "not a cylon rendezvous server");
  switch (out->kind) {
  case NAT_REGISTERED:
  case NAT_REFUSED:
  case NAT_FAILED:
    net_read_str(&r, out->text, sizeof out->text);
    break;
  case NAT_SPLICED:
    out->peer = (int32_t)net_read_u32(&r);
    break;
  case NAT_PEERS: {
    uint32_t world = net_read_u32(&r);
    if (!r.ok || world != (uint32_t)expect_world)
      return fail_why(why, why_size, "a list of peers for another world size");
    out->endpoints = calloc(world, sizeof *out->endpoints);
    if (out->endpoints == NULL) return fail_why(why, why_size, "out of memory");
    out->world = (int32_t)world;
    for (uint32_t i = 0; i < world && r.ok; i++) {
      char ep[COMM_ENDPOINT_MAX];
      net_read_str(&r, ep, sizeof ep);
      if (r.ok && (out->endpoints[i] = strdup(ep)) == NULL) r.ok = false;
    }
    break;
  }
  default:
    snprintf(why, why_size, "a reply of unknown kind %u", (unsigned)out->kind);
    return false;
  }
  if (!r.ok || r.left != 0) {
    nat_reply_reset(out);
    return fail_why(why, why_size, "a malformed reply");
  }
  return true;
}
