/* sim/pool.c — worker pool: jobs handed to threads in batches, each job claimed by whoever gets to it first.
 *
 * Layout.  A Batch holds up to `batch` slots {fn, job, state}.  The kernel's thread (the "caller": the only thread
 * that calls the pool API) fills the open batch without locking; a full batch is pushed on a shared FIFO, which costs
 * one lock and at most one signal per batch.  Every batch that still holds an unjoined ticket sits in `ring`, ordered
 * by first ticket; tickets are consecutive, so join finds a ticket's batch by binary search.
 *
 * Claims.  A slot goes PENDING -> RUNNING -> DONE -> JOINED.  PENDING -> RUNNING is a compare-and-swap made by
 * whichever thread gets there first: a worker walking its batch in order, or the caller.  So each job runs exactly
 * once, and join never sleeps on a job nobody has started: it runs it itself.  (A finer grain than "the caller steals
 * the batch if no worker took it yet": the caller runs the one job it needs and leaves the rest to the workers.)
 * JOINED is written by the caller alone; it catches a ticket joined twice.
 *
 * Joining a job of the open batch claims it, then pushes the rest of the batch (if any job of it is left) to the
 * workers, then runs the claimed job.  With threads == 0 nothing is ever pushed and every job runs at its own join:
 * the reference behaviour.
 *
 * Waiting.  A join that finds its job RUNNING on a worker first pushes the open batch, then helps: it claims and
 * runs the lowest-ticket job nobody has claimed (usually the one it will join next), one job at a time, re-checking
 * its own in between.  Without this, FIFO joins behind a backlog keep the caller exactly one step behind a worker
 * walking the same batches, so one worker never gets more done than the caller alone.  Only when nothing is left to
 * claim does the caller spin briefly, then sleep.  `scan` makes the search amortised O(1): a slot never returns to
 * PENDING, so the tickets below it need no second look.
 *
 * Waking.  Before sleeping on a slot the caller publishes it in `awaited`; a worker that marks a slot DONE signals
 * only if that slot is the awaited one.  Each side stores, then loads the other's variable, both seq_cst (the Dekker
 * pattern), so at least one sees the other: no lost wake-up, and no lock per job while nobody waits.
 *
 * Lifetime.  A batch goes back on the free list (caller-only, so steady state allocates nothing) once all its slots
 * are joined and no worker holds it; `released` is a worker's last store to a batch it took.  Only the front of the
 * ring is recycled, so a ticket left unjoined keeps the batches after it alive: memory follows the span from the oldest
 * unjoined ticket to the newest.
 *
 * Threads are plain pthreads.  GMutex/GCond measured no faster (both are futex-based on Linux and the lock is taken
 * once per batch), but ThreadSanitizer cannot see GLib's futex mutex and reports every field it guards as a race;
 * with pthreads the TSan run of tests/test-pool.c is clean and therefore means something.
 */
#include "sim/pool.h"

#include <pthread.h>
#include <stdatomic.h>

enum { PENDING, RUNNING, DONE, JOINED };

/* Pauses a join spins for DONE, once it has nothing left to help with, before it sleeps: about a microsecond.  Longer
 * spins measured no better with one worker and worse with more workers than cores (the spin takes a worker's CPU). */
#ifndef SPIN_WAIT
#define SPIN_WAIT 200
#endif

typedef struct {
    HnbJobFn fn;
    void *job;
    atomic_uint state;
} Slot;

typedef struct Batch Batch;
struct Batch {
    Batch *next;         /* link in the shared queue or the free list */
    uint64_t first;      /* ticket of slots[0] */
    unsigned n;          /* slots filled; fixed once the batch is pushed */
    unsigned njoined;    /* caller only */
    gboolean pushed;     /* caller only: handed to the workers, so wait for `released` */
    atomic_int released; /* set by the worker that popped it, after its last access */
    Slot slots[];
};

struct HnbPool {
    /* Caller's thread only. */
    unsigned threads;
    unsigned batch;
    uint64_t next_ticket;
    uint64_t scan;    /* every ticket below it is claimed (or recycled); where help looks first */
    Batch *open;      /* being filled; in the ring, not in the queue */
    Batch *free_list;
    Batch **ring;     /* live batches by first ticket: ring[(head + i) & (cap - 1)], i < len */
    size_t ring_cap;  /* a power of two */
    size_t ring_head;
    size_t ring_len;
    void *ctx;        /* the caller's thread_ctx */
    HnbThreadInit thread_init;
    HnbThreadFree thread_free;
    void *user_data;
    pthread_t *workers;

    /* Shared, under `lock`. */
    pthread_mutex_t lock;
    pthread_cond_t work; /* the queue is non-empty, or stop */
    pthread_cond_t done; /* the awaited slot is DONE */
    Batch *head;         /* FIFO of pushed batches not yet taken */
    Batch *tail;
    unsigned idle;       /* workers waiting on `work`: a push signals only if one is */
    unsigned started;    /* workers past thread_init; hnb_pool_new waits for all (signalled on `work`) */
    gboolean stop;

    /* Written by the caller, read by workers after each job. */
    _Atomic(Slot *) awaited;
};

static void wake_caller(HnbPool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pthread_cond_signal(&pool->done);
    pthread_mutex_unlock(&pool->lock);
}

static void *worker_main(void *data)
{
    HnbPool *pool = data;
    void *ctx = pool->thread_init ? pool->thread_init(pool->user_data) : NULL;

    pthread_mutex_lock(&pool->lock);
    if (++pool->started == pool->threads)
        pthread_cond_broadcast(&pool->work); /* hnb_pool_new waits on it; idle workers just re-check the queue */
    for (;;) {
        Batch *b = pool->head;
        if (b == NULL) {
            if (pool->stop)
                break;
            pool->idle++;
            pthread_cond_wait(&pool->work, &pool->lock);
            pool->idle--;
            continue;
        }
        pool->head = b->next;
        if (pool->head == NULL)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);

        /* b->n and the slots were written before the push, under the lock we just took. */
        unsigned n = b->n;
        for (unsigned i = 0; i < n; i++) {
            Slot *s = &b->slots[i];
            unsigned expect = PENDING;
            if (!atomic_compare_exchange_strong(&s->state, &expect, RUNNING))
                continue; /* the caller claimed it (its own join, or helping while it waits) */
            s->fn(s->job, ctx);
            atomic_store(&s->state, DONE);
            if (atomic_load(&pool->awaited) == s)
                wake_caller(pool);
        }
        atomic_store_explicit(&b->released, 1, memory_order_release);

        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);

    if (pool->thread_free)
        pool->thread_free(ctx);
    return NULL;
}

HnbPool *hnb_pool_new(unsigned threads, unsigned batch, HnbThreadInit thread_init, HnbThreadFree thread_free,
                      void *user_data)
{
    g_return_val_if_fail(batch >= 1, NULL);

    HnbPool *pool = g_new0(HnbPool, 1);
    pool->threads = threads;
    pool->batch = batch;
    pool->next_ticket = 1;
    pool->scan = 1;
    pool->thread_init = thread_init;
    pool->thread_free = thread_free;
    pool->user_data = user_data;
    pool->ring_cap = 16;
    pool->ring = g_new(Batch *, pool->ring_cap);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->awaited, NULL);

    pool->ctx = thread_init ? thread_init(user_data) : NULL;

    if (threads > 0) {
        pool->workers = g_new(pthread_t, threads);
        for (unsigned i = 0; i < threads; i++) {
            int rc = pthread_create(&pool->workers[i], NULL, worker_main, pool);
            if (rc != 0)
                g_error("hnb_pool_new: cannot start worker thread %u: %s", i, g_strerror(rc));
        }
        /* Every thread_init has returned when new does: user_data need not outlive this call, and a slow
         * thread_init (loading an SSL_CTX, say) is paid here, not inside the first timed stretch of the run. */
        pthread_mutex_lock(&pool->lock);
        while (pool->started < threads)
            pthread_cond_wait(&pool->work, &pool->lock);
        pthread_mutex_unlock(&pool->lock);
    }
    return pool;
}

/* Cold: doubles the ring, unrolling it to start at index 0. */
static void ring_grow(HnbPool *pool)
{
    size_t cap = pool->ring_cap * 2;
    Batch **ring = g_new(Batch *, cap);
    for (size_t i = 0; i < pool->ring_len; i++)
        ring[i] = pool->ring[(pool->ring_head + i) & (pool->ring_cap - 1)];
    g_free(pool->ring);
    pool->ring = ring;
    pool->ring_cap = cap;
    pool->ring_head = 0;
}

static inline Batch *ring_at(const HnbPool *pool, size_t i)
{
    return pool->ring[(pool->ring_head + i) & (pool->ring_cap - 1)];
}

static Batch *open_batch(HnbPool *pool)
{
    Batch *b = pool->free_list;
    if (b != NULL)
        pool->free_list = b->next;
    else
        b = g_malloc(sizeof(Batch) + (size_t)pool->batch * sizeof(Slot));
    b->next = NULL;
    b->first = pool->next_ticket;
    b->n = 0;
    b->njoined = 0;
    b->pushed = FALSE;
    atomic_store_explicit(&b->released, 0, memory_order_relaxed);

    if (pool->ring_len == pool->ring_cap)
        ring_grow(pool);
    pool->ring[(pool->ring_head + pool->ring_len) & (pool->ring_cap - 1)] = b;
    pool->ring_len++;
    pool->open = b;
    return b;
}

static void push(HnbPool *pool, Batch *b)
{
    b->pushed = TRUE;
    b->next = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->tail != NULL)
        pool->tail->next = b;
    else
        pool->head = b;
    pool->tail = b;
    if (pool->idle > 0)
        pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->lock);
}

static gboolean has_pending(const Batch *b)
{
    for (unsigned k = 0; k < b->n; k++)
        if (atomic_load_explicit(&b->slots[k].state, memory_order_relaxed) == PENDING)
            return TRUE;
    return FALSE;
}

/* Stop filling the open batch; hand it to the workers if it holds a job nobody has claimed.  (Only the caller's own
 * thread can have claimed jobs of the open batch, so relaxed loads see every claim.) */
static void close_open(HnbPool *pool)
{
    Batch *b = pool->open;
    pool->open = NULL;
    if (pool->threads > 0 && has_pending(b))
        push(pool, b);
}

uint64_t hnb_pool_submit(HnbPool *pool, HnbJobFn fn, void *job)
{
    g_return_val_if_fail(pool != NULL && fn != NULL, 0);

    Batch *b = pool->open ? pool->open : open_batch(pool);
    Slot *s = &b->slots[b->n++];
    s->fn = fn;
    s->job = job;
    atomic_store_explicit(&s->state, PENDING, memory_order_relaxed); /* published by push's lock */

    uint64_t ticket = pool->next_ticket++;
    if (b->n == pool->batch) {
        if (pool->threads > 0)
            push(pool, b);
        pool->open = NULL;
    }
    return ticket;
}

void hnb_pool_flush(HnbPool *pool)
{
    g_return_if_fail(pool != NULL);
    if (pool->threads > 0 && pool->open != NULL)
        close_open(pool);
}

unsigned hnb_pool_threads(const HnbPool *pool)
{
    g_return_val_if_fail(pool != NULL, 0);
    return pool->threads;
}

/* Ring index of the live batch holding `ticket`, or SIZE_MAX if its batch was recycled (every ticket of it joined).
 * Batches cover consecutive ticket ranges, so it is the last batch whose first ticket is <= ticket. */
static size_t find_batch(const HnbPool *pool, uint64_t ticket)
{
    if (pool->ring_len == 0 || ticket < ring_at(pool, 0)->first)
        return SIZE_MAX;
    size_t lo = 0, hi = pool->ring_len; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ring_at(pool, mid)->first <= ticket)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Claim the lowest-ticket job nobody has claimed and run it here; FALSE if there is none. */
static gboolean help(HnbPool *pool)
{
    if (pool->ring_len == 0)
        return FALSE;
    if (pool->scan < ring_at(pool, 0)->first)
        pool->scan = ring_at(pool, 0)->first;
    if (pool->scan >= pool->next_ticket)
        return FALSE;
    for (size_t i = find_batch(pool, pool->scan); i < pool->ring_len; i++) {
        Batch *b = ring_at(pool, i);
        for (unsigned k = (unsigned)(pool->scan - b->first); k < b->n; k++) {
            Slot *s = &b->slots[k];
            unsigned state = PENDING;
            pool->scan = b->first + k + 1;
            if (atomic_compare_exchange_strong(&s->state, &state, RUNNING)) {
                s->fn(s->job, pool->ctx);
                atomic_store_explicit(&s->state, DONE, memory_order_relaxed); /* only this thread reads it now */
                return TRUE;
            }
        }
    }
    return FALSE;
}

/* Recycle batches from the front of the ring while they are fully joined and no worker holds them. */
static void reclaim(HnbPool *pool)
{
    while (pool->ring_len > 0) {
        Batch *b = ring_at(pool, 0);
        if (b == pool->open || b->njoined < b->n)
            break;
        if (b->pushed && !atomic_load_explicit(&b->released, memory_order_acquire))
            break; /* a worker is still walking it (skipping claimed slots); retry at a later join */
        pool->ring_head = (pool->ring_head + 1) & (pool->ring_cap - 1);
        pool->ring_len--;
        b->next = pool->free_list;
        pool->free_list = b;
    }
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Until `s` (RUNNING on a worker) is DONE: help, then spin, then sleep. */
static void wait_done(HnbPool *pool, Slot *s)
{
    if (pool->open != NULL)
        close_open(pool); /* an idle worker may take it while we wait */
    while (atomic_load_explicit(&s->state, memory_order_acquire) != DONE)
        if (!help(pool))
            break;
    for (int i = 0; i < SPIN_WAIT; i++) {
        if (atomic_load_explicit(&s->state, memory_order_acquire) == DONE)
            return;
        cpu_relax();
    }
    atomic_store(&pool->awaited, s);
    pthread_mutex_lock(&pool->lock);
    while (atomic_load(&s->state) != DONE)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    atomic_store_explicit(&pool->awaited, NULL, memory_order_relaxed);
}

/* Join (run = TRUE) or discard (run = FALSE) a ticket; returns whether its job ran. */
static gboolean finish(HnbPool *pool, uint64_t ticket, gboolean run)
{
    g_return_val_if_fail(pool != NULL, FALSE);
    g_return_val_if_fail(ticket >= 1 && ticket < pool->next_ticket, FALSE);

    size_t i = find_batch(pool, ticket);
    g_return_val_if_fail(i != SIZE_MAX, FALSE); /* recycled: every ticket of its batch, this one included, was joined */
    Batch *b = ring_at(pool, i);
    Slot *s = &b->slots[ticket - b->first];

    gboolean ran = TRUE;
    unsigned state = PENDING;
    if (atomic_compare_exchange_strong(&s->state, &state, RUNNING)) {
        if (run && b == pool->open && pool->threads > 0)
            close_open(pool); /* the workers start on the rest while we run this one */
        if (run)
            s->fn(s->job, pool->ctx);
        ran = run;
    } else if (state == RUNNING) {
        wait_done(pool, s);
    } else {
        g_return_val_if_fail(state == DONE, FALSE); /* JOINED: this ticket was joined before */
    }
    atomic_store_explicit(&s->state, JOINED, memory_order_relaxed);
    b->njoined++;
    reclaim(pool);
    return ran;
}

void hnb_pool_join(HnbPool *pool, uint64_t ticket)
{
    finish(pool, ticket, TRUE);
}

gboolean hnb_pool_discard(HnbPool *pool, uint64_t ticket)
{
    return finish(pool, ticket, FALSE);
}

void hnb_pool_free(HnbPool *pool)
{
    if (pool == NULL)
        return;

    /* Every job submitted runs once, joined or not: the caller helps the workers drain what is left (with
     * threads == 0 it runs all of it), then the workers, finding the queue empty, see `stop`. */
    if (pool->open != NULL)
        close_open(pool);
    while (help(pool))
        ;
    if (pool->threads > 0) {
        pthread_mutex_lock(&pool->lock);
        pool->stop = TRUE;
        pthread_cond_broadcast(&pool->work);
        pthread_mutex_unlock(&pool->lock);
        for (unsigned i = 0; i < pool->threads; i++)
            pthread_join(pool->workers[i], NULL);
        g_free(pool->workers);
    }

    if (pool->thread_free)
        pool->thread_free(pool->ctx);

    for (size_t i = 0; i < pool->ring_len; i++)
        g_free(ring_at(pool, i));
    while (pool->free_list != NULL) {
        Batch *b = pool->free_list;
        pool->free_list = b->next;
        g_free(b);
    }
    g_free(pool->ring);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->done);
    g_free(pool);
}
