/* tests/test-download.c — the image server's max-min fair sharing against a naive reference that recomputes the
 * water-filling from scratch at every event and advances every download (O(n log n) per event, obviously right).
 * Both are driven by the same random scenarios (starts, cancels); completions are their own. */
#include "models/download.h"

#include <math.h>
#include <string.h>

/* ---- the reference ---- */

typedef struct {
    uint32_t id;
    double size, cap, rem, rate; /* bytes, bytes/s */
} RefDl;

typedef struct {
    double bw; /* bytes/s */
    HnbTime last;
    GArray *act; /* RefDl */
} Ref;

static int by_cap(const void *a, const void *b)
{
    const RefDl *x = *(const RefDl *const *)a, *y = *(const RefDl *const *)b;
    return x->cap < y->cap ? -1 : x->cap > y->cap;
}

/* Water-filling: visit by increasing cap; each gets min(cap, what is left / how many are left). */
static void ref_rates(Ref *r)
{
    guint n = r->act->len;
    g_autofree RefDl **v = g_new(RefDl *, n ? n : 1);
    for (guint i = 0; i < n; i++)
        v[i] = &g_array_index(r->act, RefDl, i);
    qsort(v, n, sizeof *v, by_cap);
    double left = r->bw;
    for (guint i = 0; i < n; i++) {
        double share = left / (double)(n - i);
        v[i]->rate = MIN(v[i]->cap, share);
        left -= v[i]->rate;
    }
}

static void ref_advance(Ref *r, HnbTime now)
{
    g_assert_cmpint(now, >=, r->last);
    double dt = (double)(now - r->last) / 1e9;
    for (guint i = 0; i < r->act->len; i++) {
        RefDl *x = &g_array_index(r->act, RefDl, i);
        x->rem -= x->rate * dt;
    }
    r->last = now;
}

static guint ref_find(Ref *r, uint32_t id)
{
    for (guint i = 0; i < r->act->len; i++)
        if (g_array_index(r->act, RefDl, i).id == id)
            return i;
    return G_MAXUINT;
}

static void ref_start(Ref *r, HnbTime now, uint32_t id, double bytes, double cap_bps)
{
    ref_advance(r, now);
    RefDl x = {id, bytes, cap_bps / 8, bytes, 0};
    g_array_append_val(r->act, x);
    ref_rates(r);
}

static double ref_remove(Ref *r, HnbTime now, uint32_t id)
{
    ref_advance(r, now);
    guint i = ref_find(r, id);
    g_assert_cmpuint(i, !=, G_MAXUINT);
    RefDl x = g_array_index(r->act, RefDl, i);
    g_array_remove_index(r->act, i);
    ref_rates(r);
    return x.size - MAX(x.rem, 0.0);
}

static gboolean ref_next(Ref *r, HnbTime now, HnbTime *when, uint32_t *id)
{
    ref_advance(r, now);
    gboolean any = FALSE;
    for (guint i = 0; i < r->act->len; i++) {
        RefDl *x = &g_array_index(r->act, RefDl, i);
        HnbTime t = x->rem <= 1e-6 ? now : now + (HnbTime)ceil(x->rem / x->rate * 1e9);
        if (!any || t < *when || (t == *when && x->id < *id)) {
            *when = t;
            *id = x->id;
            any = TRUE;
        }
    }
    return any;
}

/* ---- scenarios ---- */

typedef struct {
    HnbTime t;
    gboolean cancel;
    uint32_t id;
    double bytes, cap_bps;
} Op;

typedef struct {
    HnbTime done;     /* completion time, or -1 */
    double cancelled; /* bytes received when cancelled, or -1 */
} Outcome;

static int by_time(const void *a, const void *b)
{
    const Op *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->cancel - y->cancel; /* starts first at equal times: a cancel never precedes its start */
}

static double draw_cap(GRand *g, double bw_bps, guint n, int kind)
{
    static const double fixed[] = {2e6, 5e6, 10e6};
    double fair = bw_bps / MAX(n / 4, 1u); /* a few tens concurrent: caps around the fair share */
    switch (kind) {
    case 0: /* lognormal around the fair share */
        return fair * exp(1.0 * sqrt(-2 * log(g_rand_double(g))) * cos(2 * G_PI * g_rand_double(g)));
    case 1: /* a few equal caps: ties and blocks crossing together */
        return fixed[g_rand_int_range(g, 0, 3)];
    case 3: /* long: share the classes of the background downloads, or mixed */
        if (g_rand_double(g) < 0.6)
            return g_rand_boolean(g) ? 8e9 : 2e10;
        /* fall through */
    default: /* mixed, including uncapped and caps above the whole bandwidth */
        switch (g_rand_int_range(g, 0, 4)) {
        case 0:
            return INFINITY;
        case 1:
            return bw_bps * g_rand_double_range(g, 1, 3);
        case 2:
            return fixed[g_rand_int_range(g, 0, 3)];
        default:
            return fair * g_rand_double_range(g, 0.05, 4);
        }
    }
}

static GArray *make_ops(GRand *g, double bw_bps, guint n, int kind)
{
    GArray *ops = g_array_new(FALSE, FALSE, sizeof(Op));
    HnbTime span = (HnbTime)g_rand_int_range(g, 1, 200) * HNB_SEC;
    for (guint i = 0; i < n; i++) {
        Op s = {0};
        s.t = (HnbTime)(g_rand_double(g) * (double)span);
        if (kind == 3 && i < 3) {
            /* long: huge downloads from t = 0 keep U and a capped class busy while the clocks pass 2^32 bytes */
            static const double bg_cap[] = {INFINITY, 8e9, 2e10};
            s = (Op){0, FALSE, 1000 + i * 7, 2e11, bg_cap[i]};
            g_array_append_val(ops, s);
            continue;
        }
        s.id = 1000 + i * 7; /* ids sparse, not slot numbers */
        double u = g_rand_double(g);
        s.bytes = u < 0.03 ? 0 : exp(g_rand_double_range(g, log(1e3), log(2e8)));
        s.cap_bps = draw_cap(g, bw_bps, n, kind);
        g_array_append_val(ops, s);
        if (g_rand_double(g) < 0.2) {
            Op c = s;
            c.cancel = TRUE;
            c.t = s.t + (HnbTime)(g_rand_double(g) * 1e9 * (double)g_rand_int_range(g, 1, 100));
            g_array_append_val(ops, c);
        }
    }
    g_array_sort(ops, by_time);
    return ops;
}

/* ---- the check ---- */

static void check_rates(HnbDownloads *d, Ref *r, double bw_bps)
{
    g_assert_cmpuint(hnb_downloads_active(d), ==, r->act->len);
    double sum = 0;
    for (guint i = 0; i < r->act->len; i++) {
        RefDl *x = &g_array_index(r->act, RefDl, i);
        double got = hnb_downloads_rate_of(d, x->id);
        sum += got;
        g_assert_cmpfloat(got, <=, x->cap * 8 * (1 + 1e-12));
        if (fabs(got - x->rate * 8) > 1e-9 * x->rate * 8)
            g_error("id %u: rate %.17g, reference %.17g", x->id, got, x->rate * 8);
    }
    g_assert_cmpfloat(sum, <=, bw_bps * (1 + 1e-12));
    g_assert_cmpfloat(hnb_downloads_rate(d), <=, bw_bps);
    g_assert_cmpfloat(fabs(hnb_downloads_rate(d) - sum), <=, 1e-9 * bw_bps);
}

static struct {
    guint completions, cancels;
    HnbTime worst_ns; /* largest completion-time difference seen */
    double worst_rel;
} seen;

static gboolean close_time(HnbTime a, HnbTime b)
{
    HnbTime diff = a > b ? a - b : b - a;
    seen.completions++;
    seen.worst_ns = MAX(seen.worst_ns, diff);
    seen.worst_rel = MAX(seen.worst_rel, (double)diff / (double)MAX(MAX(a, b), 1));
    return diff <= 1 || (double)diff <= 1e-9 * (double)MAX(a, b);
}

static void run_scenario(guint32 seed, guint n, int kind)
{
    g_autoptr(GRand) g = g_rand_new_with_seed(seed);
    double bw_bps = kind == 3 ? 8e10 : exp(g_rand_double_range(g, log(1e7), log(1e10)));
    g_autoptr(GArray) ops = make_ops(g, bw_bps, n, kind);
    HnbDownloads *d = hnb_downloads_new(bw_bps);
    Ref r = {bw_bps / 8, 0, g_array_new(FALSE, FALSE, sizeof(RefDl))};
    /* outcomes by index (id - 1000) / 7: out[2i] the model's, out[2i + 1] the reference's */
    g_autofree Outcome *out = g_new(Outcome, 2 * n);
    for (guint i = 0; i < 2 * n; i++)
        out[i] = (Outcome){-1, -1};
    g_autofree double *size_of = g_new0(double, n);
    double finished_bytes = 0, cancelled_bytes = 0;
    HnbTime now = 0; /* the model's clock; the reference keeps its own in r.last */
    HnbTime when;
    uint32_t id;

    for (guint k = 0; k <= ops->len; k++) {
        HnbTime te = k < ops->len ? g_array_index(ops, Op, k).t : HNB_TIME_NEVER;
        /* completions up to and including te (before the operation at te), each side on its own */
        while (hnb_downloads_next(d, now, &when, &id) && when <= te) {
            g_assert_cmpint(when, >=, now);
            now = when;
            hnb_downloads_finish(d, now, id);
            Outcome *o = &out[2 * ((id - 1000) / 7)];
            g_assert_cmpint(o->done, ==, -1);
            o->done = now;
            finished_bytes += size_of[(id - 1000) / 7];
        }
        while (ref_next(&r, r.last, &when, &id) && when <= te) {
            ref_remove(&r, when, id);
            out[2 * ((id - 1000) / 7) + 1].done = when;
        }
        if (k == ops->len)
            break;
        const Op *op = &g_array_index(ops, Op, k);
        guint idx = (op->id - 1000) / 7;
        now = op->t;
        if (!op->cancel) {
            size_of[idx] = op->bytes;
            hnb_downloads_start(d, now, op->id, op->bytes, op->cap_bps);
            ref_start(&r, now, op->id, op->bytes, op->cap_bps);
        } else {
            gboolean in_ref = ref_find(&r, op->id) != G_MAXUINT;
            gboolean in_model = out[2 * idx].done < 0;
            g_assert_cmpint(in_ref, ==, in_model);
            if (in_ref) {
                double a = hnb_downloads_cancel(d, now, op->id);
                double b = ref_remove(&r, now, op->id);
                g_assert_cmpfloat(fabs(a - b), <=, 1e-6 + 1e-9 * op->bytes);
                g_assert_cmpfloat(a, >=, 0);
                g_assert_cmpfloat(a, <=, op->bytes);
                out[2 * idx].cancelled = a;
                out[2 * idx + 1].cancelled = b;
                cancelled_bytes += a;
                seen.cancels++;
            }
        }
        hnb_downloads_verify(d);
        check_rates(d, &r, bw_bps);
        /* bytes delivered = finished sizes + cancelled partials + what the active ones have received so far */
        double delivered = hnb_downloads_bytes_delivered(d, now); /* first: it advances the model to now */
        double active_bytes = 0;
        for (guint i = 0; i < r.act->len; i++) {
            RefDl *x = &g_array_index(r.act, RefDl, i);
            double rem = hnb_downloads_remaining(d, x->id);
            g_assert_cmpfloat(rem, >=, 0);
            active_bytes += x->size - rem;
        }
        double expect = finished_bytes + cancelled_bytes + active_bytes;
        if (fabs(delivered - expect) > 1e-3 + 1e-9 * expect)
            g_error("seed %u: delivered %.17g, expected %.17g", seed, delivered, expect);
    }
    g_assert_cmpuint(hnb_downloads_active(d), ==, 0);
    g_assert_cmpuint(r.act->len, ==, 0);
    g_assert_cmpfloat(hnb_downloads_rate(d), ==, 0);
    double delivered = hnb_downloads_bytes_delivered(d, now);
    g_assert_cmpfloat(fabs(delivered - finished_bytes - cancelled_bytes), <=, 1e-3 + 1e-9 * delivered);
    for (guint i = 0; i < n; i++) {
        Outcome *m = &out[2 * i], *f = &out[2 * i + 1];
        g_assert_cmpint(m->done < 0, ==, f->done < 0);
        if (m->done >= 0 && !close_time(m->done, f->done))
            g_error("seed %u id %u: done at %" G_GINT64_FORMAT " ns, reference %" G_GINT64_FORMAT " ns", seed,
                    1000 + 7 * i, m->done, f->done);
    }
    hnb_downloads_free(d);
    g_array_free(r.act, TRUE);
}

static void test_reference(gconstpointer data)
{
    int kind = GPOINTER_TO_INT(data);
    for (guint32 seed = 1; seed <= 150; seed++)
        run_scenario(seed * 7919 + (guint32)kind, 20 + seed % 7 * 30, kind);
    g_test_message("%u completions, %u cancels; worst difference %" G_GINT64_FORMAT " ns, %.3g relative",
                   seen.completions, seen.cancels, seen.worst_ns, seen.worst_rel);
    memset(&seen, 0, sizeof seen);
}

/* ---- closed forms ---- */

static void test_single_capped(void)
{
    HnbDownloads *d = hnb_downloads_new(1e9);
    hnb_downloads_start(d, 5 * HNB_SEC, 42, 1e6, 1e8); /* 8e6 bits at 1e8 bit/s: 80 ms */
    g_assert_cmpfloat(hnb_downloads_rate_of(d, 42), ==, 1e8);
    g_assert_cmpfloat(hnb_downloads_rate(d), ==, 1e8);
    HnbTime when;
    uint32_t id;
    g_assert_true(hnb_downloads_next(d, 5 * HNB_SEC, &when, &id));
    g_assert_cmpuint(id, ==, 42);
    g_assert_cmpint(when, ==, 5 * HNB_SEC + 80 * HNB_MSEC);
    g_assert_cmpfloat_with_epsilon(hnb_downloads_bytes_delivered(d, 5 * HNB_SEC + 40 * HNB_MSEC), 5e5, 1e-6);
    hnb_downloads_finish(d, when, id);
    g_assert_false(hnb_downloads_next(d, when, &when, &id));
    g_assert_cmpfloat_with_epsilon(hnb_downloads_bytes_delivered(d, 10 * HNB_SEC), 1e6, 1e-6);
    hnb_downloads_free(d);
}

static void test_equal_share(void)
{
    for (guint n = 1; n <= 1000; n *= 10) {
        HnbDownloads *d = hnb_downloads_new(8e9); /* 1e9 bytes/s */
        for (guint i = 0; i < n; i++)
            hnb_downloads_start(d, 0, i, 1e9, i % 2 ? INFINITY : 1e12);
        for (guint i = 0; i < n; i++)
            g_assert_cmpfloat_with_epsilon(hnb_downloads_rate_of(d, i), 8e9 / n, 1e-6 * 8e9 / n);
        HnbTime when = 0;
        uint32_t id;
        for (guint i = 0; i < n; i++) {
            g_assert_true(hnb_downloads_next(d, when, &when, &id));
            g_assert_cmpuint(id, ==, i); /* all at the same ns, in id order */
            g_assert_cmpint(llabs(when - (HnbTime)n * HNB_SEC), <=, 1);
            hnb_downloads_finish(d, when, id);
        }
        hnb_downloads_free(d);
    }
}

/* One capped below its share, the rest split what is left; the capped one's completion frees bandwidth. */
static void test_water_level(void)
{
    HnbDownloads *d = hnb_downloads_new(80e6); /* 10 MB/s */
    hnb_downloads_start(d, 0, 1, 1e6, 8e6);      /* 1 MB/s cap: capped, done at 1 s */
    hnb_downloads_start(d, 0, 2, 9e6, INFINITY); /* gets 4.5 MB/s */
    hnb_downloads_start(d, 0, 3, 9e6, INFINITY);
    g_assert_cmpfloat(hnb_downloads_rate_of(d, 1), ==, 8e6);
    g_assert_cmpfloat_with_epsilon(hnb_downloads_rate_of(d, 2), 36e6, 1e-3);
    HnbTime when;
    uint32_t id;
    g_assert_true(hnb_downloads_next(d, 0, &when, &id));
    g_assert_cmpuint(id, ==, 1);
    g_assert_cmpint(when, ==, HNB_SEC);
    hnb_downloads_finish(d, when, id);
    g_assert_cmpfloat_with_epsilon(hnb_downloads_rate_of(d, 3), 40e6, 1e-3);
    /* 4.5 MB done, 4.5 MB left at 5 MB/s: 0.9 s more */
    g_assert_true(hnb_downloads_next(d, when, &when, &id));
    g_assert_cmpint(llabs(when - 1900 * HNB_MSEC), <=, 1);
    hnb_downloads_verify(d);
    hnb_downloads_free(d);
}

/* Everyone fits: every download at its cap, θ infinite; one more tips the group over. */
static void test_all_capped(void)
{
    HnbDownloads *d = hnb_downloads_new(100e6);
    for (uint32_t i = 0; i < 10; i++)
        hnb_downloads_start(d, 0, i, 1e7, 10e6);
    g_assert_cmpfloat(hnb_downloads_rate(d), ==, 100e6);
    for (uint32_t i = 0; i < 10; i++)
        g_assert_cmpfloat(hnb_downloads_rate_of(d, i), ==, 10e6);
    hnb_downloads_start(d, HNB_SEC, 10, 1e7, 10e6);
    for (uint32_t i = 0; i <= 10; i++)
        g_assert_cmpfloat_with_epsilon(hnb_downloads_rate_of(d, i), 100e6 / 11, 1e-3);
    g_assert_cmpfloat(hnb_downloads_rate(d), <=, 100e6);
    hnb_downloads_verify(d);
    g_assert_cmpfloat_with_epsilon(hnb_downloads_cancel(d, 2 * HNB_SEC, 10), 100e6 / 11 / 8, 1e-3);
    for (uint32_t i = 0; i < 10; i++)
        g_assert_cmpfloat(hnb_downloads_rate_of(d, i), ==, 10e6);
    hnb_downloads_free(d);
}

/* Many downloads, no reference: invariants after every operation, and the delivered total at the end. */
static void test_many(void)
{
    g_autoptr(GRand) g = g_rand_new_with_seed(99);
    HnbDownloads *d = hnb_downloads_new(10e9);
    HnbTime now = 0;
    uint32_t next_id = 0;
    double sizes = 0;
    for (guint op = 0; op < 20000; op++) {
        if (hnb_downloads_active(d) < 3000) {
            double cap = 5e6 * exp(0.8 * sqrt(-2 * log(g_rand_double(g))) * cos(2 * G_PI * g_rand_double(g)));
            double size = g_rand_double_range(g, 1e6, 5e7);
            sizes += size;
            hnb_downloads_start(d, now, next_id++, size, cap);
        } else {
            HnbTime when;
            uint32_t id;
            g_assert_true(hnb_downloads_next(d, now, &when, &id));
            now = when;
            hnb_downloads_finish(d, now, id);
        }
        now += g_rand_int_range(g, 0, 1000);
        if (op % 97 == 0)
            hnb_downloads_verify(d);
    }
    HnbTime when;
    uint32_t id;
    while (hnb_downloads_next(d, now, &when, &id)) {
        now = when;
        hnb_downloads_finish(d, now, id);
    }
    hnb_downloads_verify(d);
    g_assert_cmpfloat(fabs(hnb_downloads_bytes_delivered(d, now) - sizes), <=, 1e-9 * sizes);
    hnb_downloads_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/download/single-capped", test_single_capped);
    g_test_add_func("/download/equal-share", test_equal_share);
    g_test_add_func("/download/water-level", test_water_level);
    g_test_add_func("/download/all-capped", test_all_capped);
    g_test_add_data_func("/download/reference/lognormal", GINT_TO_POINTER(0), test_reference);
    g_test_add_data_func("/download/reference/equal-caps", GINT_TO_POINTER(1), test_reference);
    g_test_add_data_func("/download/reference/mixed", GINT_TO_POINTER(2), test_reference);
    g_test_add_data_func("/download/reference/long", GINT_TO_POINTER(3), test_reference);
    g_test_add_func("/download/many", test_many);
    return g_test_run();
}
