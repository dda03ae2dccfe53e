/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/admission's internals: the per-review arena for jansson's allocations
 * (src/admission/arena.c). A window is one thread's: begin, build, stop
 * (allocations go to malloc again, what was built is still readable), free
 * the values, end (the memory is reused). pause/resume around calls whose
 * jansson values may outlive the window.
 */
#ifndef BH_ADMISSION_INTERNAL_H
#define BH_ADMISSION_INTERNAL_H

#include <stdbool.h>

bool bh_adm_arena_begin(void); /* false: not installed or already open */
bool bh_adm_arena_pause(void); /* returns whether the window was open */
void bh_adm_arena_resume(bool was);
void bh_adm_arena_stop(void);
void bh_adm_arena_end(void);

/* declog.c: the decision log's entry of one review (decision "allow",
 * "deny" or "error"; res, message, reason may be NULL). */
#include <stdint.h>

#include "bulkhead/admission.h"
json_t *adm_log_entry(const struct bh_adm_request *rq, const char *decision,
		      const struct bh_policy_result *res, const char *message, const char *reason);

/* declog.c (declog19): the decision log's bounded queue and its writer
 * thread. push takes e (NULL: nothing) and never waits: a full queue drops
 * it (counted, warned once). free stops taking, writes what is queued for
 * at most drain_ms (the rest dropped, counted) and joins the writer. */
#define ADM_DECLOG_QUEUE    4096
#define ADM_DECLOG_DRAIN_MS 5000 /* at bh_admission_free */
struct adm_declog;
int adm_declog_new(const char *dir, uint64_t cap, size_t max, struct adm_declog **out,
		   struct bh_error **err);
void adm_declog_push(struct adm_declog *q, json_t *e);
void adm_declog_counts(struct adm_declog *q, uint64_t *logged, uint64_t *errors, uint64_t *dropped);
void adm_declog_free(struct adm_declog *q, unsigned drain_ms);

#endif
