/* Hand-written C coroutines on the Aria scheduler through its C API
 * (crates/aria-rt/include/aria_rt.h). Run by tests/capi.rs.
 *
 * - 1,000 counter coroutines each suspend and reschedule themselves
 *   STEPS - 1 times, then add their id to a global sum and complete;
 * - 100 parent coroutines each wait (waiting_on) for 10 of the counters in
 *   turn and sum their ids;
 * - one coroutine is stepped by hand with aria_scheduler_resume;
 * - aria_scheduler_shutdown drains and joins; everything is checked.
 * Prints "capi ok: ..." and exits 0 on success, else prints the failure
 * and exits 1. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "aria_rt.h"

#define N 1000
#define STEPS 5
#define KIDS 10

typedef struct {
    long id;
    int step;
    int runs;
} Counter;

typedef struct {
    CoroutineFrame **kids;
    int next;
    int waiting;
    long total;
} Parent;

static atomic_long sum;
static atomic_int completed;

static int fail(const char *what) {
    printf("capi FAILED: %s\n", what);
    return 1;
}

static void counter(CoroutineFrame *f) {
    Counter *c = f->data;
    c->runs++;
    c->step++;
    if (c->step < STEPS) {
        /* Yield: suspend and ask to be scheduled again. */
        f->state = ARIA_CORO_SUSPENDED;
        aria_scheduler_schedule(f);
        return;
    }
    atomic_fetch_add(&sum, c->id);
    atomic_fetch_add(&completed, 1);
    f->state = ARIA_CORO_COMPLETE;
}

static void parent(CoroutineFrame *f) {
    Parent *p = f->data;
    if (p->waiting) {
        /* Resumed: the frame we waited on has completed. */
        Counter *c = p->kids[p->next]->data;
        p->total += c->id;
        p->next++;
        p->waiting = 0;
    }
    if (p->next < KIDS) {
        f->waiting_on = p->kids[p->next];
        p->waiting = 1;
        f->state = ARIA_CORO_SUSPENDED;
        return;
    }
    f->state = ARIA_CORO_COMPLETE;
}

static void three_steps(CoroutineFrame *f) {
    int *n = f->data;
    (*n)++;
    f->state = *n == 3 ? ARIA_CORO_COMPLETE : ARIA_CORO_SUSPENDED;
}

int main(void) {
    aria_scheduler_init(0);

    CoroutineFrame *frames[N];
    Counter counters[N];
    for (int i = 0; i < N; i++) {
        counters[i] = (Counter){.id = i + 1, .step = 0, .runs = 0};
        frames[i] = aria_frame_alloc();
        if (!frames[i] || frames[i]->state != ARIA_CORO_SUSPENDED) return fail("aria_frame_alloc");
        frames[i]->coro_handle = counter;
        frames[i]->data = &counters[i];
    }

    CoroutineFrame *parents[N / KIDS];
    Parent pstate[N / KIDS];
    for (int p = 0; p < N / KIDS; p++) {
        pstate[p] = (Parent){.kids = &frames[p * KIDS], .next = 0, .waiting = 0, .total = 0};
        parents[p] = aria_frame_alloc();
        parents[p]->coro_handle = parent;
        parents[p]->data = &pstate[p];
        aria_scheduler_schedule(parents[p]);
    }
    for (int i = 0; i < N; i++) {
        aria_scheduler_schedule(frames[i]);
        aria_scheduler_schedule(frames[i]); /* a second schedule is a no-op */
    }

    /* A coroutine driven by hand on this thread. */
    int n = 0;
    CoroutineFrame *manual = aria_frame_alloc();
    manual->coro_handle = three_steps;
    manual->data = &n;
    if (aria_scheduler_resume(manual) != ARIA_CORO_SUSPENDED) return fail("resume 1");
    if (aria_scheduler_resume(manual) != ARIA_CORO_SUSPENDED) return fail("resume 2");
    if (aria_scheduler_resume(manual) != ARIA_CORO_COMPLETE) return fail("resume 3");
    if (aria_scheduler_resume(manual) != ARIA_CORO_COMPLETE || n != 3) return fail("resume after completion");

    aria_scheduler_shutdown();

    long expect = (long)N * (N + 1) / 2;
    if (atomic_load(&completed) != N) return fail("not every counter completed");
    if (atomic_load(&sum) != expect) return fail("wrong sum");
    long ptotal = 0;
    for (int p = 0; p < N / KIDS; p++) {
        if (parents[p]->state != ARIA_CORO_COMPLETE) return fail("a parent did not complete");
        ptotal += pstate[p].total;
    }
    if (ptotal != expect) return fail("parents saw wrong values");
    for (int i = 0; i < N; i++) {
        if (frames[i]->state != ARIA_CORO_COMPLETE) return fail("a frame is not complete");
        if (counters[i].runs != STEPS) return fail("a counter ran the wrong number of times");
    }

    long total = atomic_load(&sum);
    for (int i = 0; i < N; i++) aria_frame_free(frames[i]);
    for (int p = 0; p < N / KIDS; p++) aria_frame_free(parents[p]);
    aria_frame_free(manual);

    /* The API starts a new scheduler after a shutdown. */
    Counter again = {.id = 7, .step = 0, .runs = 0};
    CoroutineFrame *f = aria_frame_alloc();
    f->coro_handle = counter;
    f->data = &again;
    aria_scheduler_schedule(f);
    aria_scheduler_shutdown();
    if (f->state != ARIA_CORO_COMPLETE || again.runs != STEPS) return fail("restart after shutdown");
    aria_frame_free(f);

    printf("capi ok: %d coroutines x %d steps, %d parents, sum %ld\n", N, STEPS, N / KIDS, total);
    return 0;
}
