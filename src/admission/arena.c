/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A per-thread, per-review arena for jansson's allocations
 * (src/admission/internal.h). A review's tree is a few hundred small
 * allocations freed together; through glibc's malloc they were a quarter of
 * the webhook's CPU (the frees fill the fastbins, the next large buffer of
 * TLS or libevent consolidates them). Here they are bump allocations from
 * chunks of the thread's arena, and their frees nothing.
 *
 * json_set_alloc_funcs is process-global: bh_adm_arena_install() in the
 * serving process only. Outside an arena window, and in any thread without
 * one, jansson allocates with malloc as before; a free looks the pointer up
 * in the thread's chunks and hands anything else to free(). What is built in
 * a window must not outlive it: bh_admission_review ends the window before
 * dumping the answer (json_dumps' string is freed with free()), and pauses it
 * around image verification (the registry client may keep what it parses).
 * Bounded: past ARENA_MAX in one window, allocations go to malloc. Under
 * AddressSanitizer the chunks are poisoned between windows, so a pointer
 * that escaped a window is still caught.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include "bulkhead/admission.h"
#include "bulkhead/base.h"
#include "internal.h"
#include "banned.h"

#if defined(__SANITIZE_ADDRESS__)
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_FIRST (64u << 10)
#define ARENA_MAX   (64u << 20)

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct chunk *head; /* the newest chunk; the first one is kept between windows */
	size_t total;
	bool active;
};

/* initial-exec: no __tls_get_addr, so no ld.so in the binary's NEEDED */
static _Thread_local struct arena ta __attribute__((tls_model("initial-exec")));
static atomic_bool installed;
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

/* At a thread's exit: its chunks go (the value is only a marker). */
static void thread_gone(void *marker)
{
	(void)marker;
	while (ta.head) {
		struct chunk *next = ta.head->next;

		free(ta.head);
		ta.head = next;
	}
	ta.total = 0;
}

static void exit_key_make(void)
{
	pthread_key_create(&exit_key, thread_gone);
}

static void *a_malloc(size_t n)
{
	struct chunk *c = ta.head;

	if (!ta.active)
		return malloc(n);
	n = (n + 15) & ~(size_t)15;
	if (!n)
		n = 16;
	if (!c || c->size - c->used < n) {
		size_t size = c ? c->size * 2 : CHUNK_FIRST;

		while (size < n)
			size *= 2;
		if (ta.total + size > ARENA_MAX)
			return malloc(n); /* over the bound: the heap, freed by free() */
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		if (!ta.head) {
			pthread_once(&exit_once, exit_key_make);
			pthread_setspecific(exit_key, &ta);
		}
		c->size = size;
		c->used = 0;
		c->next = ta.head;
		POISON(c->data, size);
		ta.head = c;
		ta.total += size;
	}
	c->used += n;
	UNPOISON(c->data + c->used - n, n);
	return c->data + c->used - n;
}

static bool in_arena(const void *p)
{
	for (const struct chunk *c = ta.head; c; c = c->next)
		if ((const unsigned char *)p >= c->data &&
		    (const unsigned char *)p < c->data + c->size)
			return true;
	return false;
}

static void a_free(void *p)
{
	if (p && !in_arena(p))
		free(p);
}

void bh_adm_arena_install(void)
{
	if (!atomic_exchange(&installed, true))
		json_set_alloc_funcs(a_malloc, a_free);
}

bool bh_adm_arena_begin(void)
{
	if (!atomic_load(&installed) || ta.active)
		return false;
	ta.active = true;
	return true;
}

bool bh_adm_arena_pause(void)
{
	bool was = ta.active;

	ta.active = false;
	return was;
}

void bh_adm_arena_resume(bool was)
{
	ta.active = was;
}

void bh_adm_arena_stop(void)
{
	ta.active = false;
}

void bh_adm_arena_end(void)
{
	struct chunk *c = ta.head;

	ta.active = false;
	/* keep the first (smallest) chunk for the next window, free the rest */
	while (c && c->next) {
		struct chunk *next = c->next;

		ta.total -= c->size;
		free(c);
		c = next;
	}
	ta.head = c;
	if (c) {
		c->used = 0;
		POISON(c->data, c->size);
	}
}
