/*
 * fuzz_json.c - libFuzzer target for the plan layer's JSON reader and plan validation.
 *
 * Any input: the parser must not crash, leak or trip a sanitizer, and must either fail with
 * a message or succeed. On success, writing the tree and parsing the text again must give
 * an equal tree, and writing that must give the same bytes (the writer is a fixed point).
 * The same bytes then go through plan validation (cy_plan_parse), which must also succeed
 * or fail cleanly; it never touches files, since validation reads nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan/json.h" /* private to the library */
#include "cylon/cylon.h"

static void check_round_trip(const cy_json *root) {
  cy_error err;
  char *text = NULL, *again = NULL;
  size_t len = 0, len2 = 0;
  if (cy_json_write(root, &text, &len, &err) != CY_OK) return; /* out of memory only */
  cy_json_doc *back = NULL;
  if (cy_json_parse(text, len, NULL, &back, &err) != CY_OK) abort();
  if (!cy_json_equals(root, cy_json_doc_root(back))) abort();
  if (cy_json_write(cy_json_doc_root(back), &again, &len2, &err) != CY_OK) abort();
  if (len != len2 || memcmp(text, again, len) != 0) abort();
  free(again);
  free(text);
  cy_json_doc_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  cy_error err;
  err.message[0] = 0;
  cy_json_doc *doc = NULL;
  cy_status st = cy_json_parse(text, size, NULL, &doc, &err);
  if (st == CY_OK) {
    check_round_trip(cy_json_doc_root(doc));
    cy_json_doc_free(doc);
  } else if (err.message[0] == 0 || doc != NULL) {
    abort(); /* a failure always explains itself and returns nothing */
  }
  cy_plan_options po;
  cy_plan_options_init(&po);
  po.base_dir = "base";
  po.name = "fuzz.json";
  cy_plan *plan = NULL;
  err.message[0] = 0;
  st = cy_plan_parse(text, size, &po, &plan, &err);
  if (st == CY_OK) {
    if (plan == NULL || cy_plan_num_steps(plan) < 1) abort();
    cy_plan_release(plan);
  } else if (err.message[0] == 0 || plan != NULL) {
    abort();
  }
  return 0;
}
