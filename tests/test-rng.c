/* tests/test-rng.c — Philox known answers, stream derivation, and statistical sanity of the streams.
 *
 * The statistical tests use fixed seeds, so they are deterministic: each bound is several standard errors wide and
 * either holds for this generator or never will.
 */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "sim/rng.h"

/* Random123 kat_vectors (Salmon et al., SC'11), "philox4x32 10" lines: counter words, key words -> output words.
 * hnb_rng_bits maps (counter lo, counter hi, entity lo, entity hi) to the counter words and returns output words
 * 0 and 1, so the third vector (all words different) also checks the word order. */
static void test_kat(void)
{
    HnbStream zero = {0};
    g_assert_cmphex(hnb_rng_bits(zero, 0, 0), ==, 0xe169c58d6627e8d5u);

    HnbStream ones = {UINT64_MAX};
    g_assert_cmphex(hnb_rng_bits(ones, UINT64_MAX, UINT64_MAX), ==, 0x41c83b0e408f276du);

    /* counter 243f6a88 85a308d3 13198a2e 03707344, key a4093822 299f31d0 -> d16cfe09 94fdcceb ... */
    HnbStream pi = {0x299f31d0a4093822u};
    g_assert_cmphex(hnb_rng_bits(pi, 0x0370734413198a2eu, 0x85a308d3243f6a88u), ==, 0x94fdccebd16cfe09u);
}

/* The key recipe of rng.h, recomputed here from the published constants: 64-bit FNV-1a of the name, splitmix64's
 * finaliser between the inputs. */
static uint64_t ref_fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 0x100000001b3u;
    }
    return h;
}

static uint64_t ref_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void test_stream_recipe(void)
{
    /* the reference functions themselves against published values: FNV-1a("a"), first splitmix64 output of seed 0 */
    g_assert_cmphex(ref_fnv1a("a"), ==, 0xaf63dc4c8601ec8cu);
    g_assert_cmphex(ref_mix(0x9e3779b97f4a7c15u), ==, 0xe220a8397b1dcdafu);

    const char *names[] = {"", "a", "hnb.power", "acs.service"};
    for (uint64_t seed = 0; seed < 3; seed++)
        for (uint32_t rep = 0; rep < 3; rep++)
            for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
                uint64_t k = ref_mix(seed + 0x9e3779b97f4a7c15u);
                k = ref_mix(k ^ ref_fnv1a(names[i]));
                k = ref_mix(k ^ rep);
                g_assert_cmphex(hnb_stream(seed, rep, names[i]).key, ==, k);
            }

    /* pinned: a change here changes every published number */
    g_assert_cmphex(hnb_stream(1, 0, "hnb.power").key, ==, 0x54fe4e87cbca7e25u);
    g_assert_cmphex(hnb_rng_bits(hnb_stream(1, 0, "hnb.power"), 3, 5), ==, 0xce898890a5d2f479u);
}

static void test_reproducible(void)
{
    HnbStream a = hnb_stream(42, 7, "acs.service");
    HnbStream b = hnb_stream(42, 7, "acs.service");
    g_assert_cmphex(a.key, ==, b.key);

    /* a draw depends only on its coordinates, not on which draws came before */
    uint64_t forward[64];
    for (int i = 0; i < 64; i++)
        forward[i] = hnb_rng_bits(a, 3, (uint64_t)i);
    for (int i = 63; i >= 0; i--) {
        (void)hnb_rng_bits(a, 99, (uint64_t)i * 1000); /* unrelated draws in between */
        g_assert_cmphex(hnb_rng_bits(b, 3, (uint64_t)i), ==, forward[i]);
    }

    /* the cursor walks the same sequence and advances its counter */
    HnbRng r = hnb_rng_at(a, 3, 10);
    for (int i = 10; i < 20; i++)
        g_assert_cmpfloat(hnb_rng_next(&r), ==, hnb_rng_uniform(a, 3, (uint64_t)i));
    g_assert_cmpuint(r.counter, ==, 20);
    g_assert_cmphex(hnb_rng_next_bits(&r), ==, hnb_rng_bits(a, 3, 20));
    g_assert_cmpuint(r.counter, ==, 21);
}

static void test_stream_keys_distinct(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    static gint64 keys[4 * 4 * 6];
    const char *names[] = {"", "a", "b", "hnb.power", "hnb.powes", "acs.service"};
    guint n = 0;
    for (uint64_t seed = 0; seed < 4; seed++)
        for (uint32_t rep = 0; rep < 4; rep++)
            for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
                keys[n] = (gint64)hnb_stream(seed, rep, names[i]).key;
                g_assert_false(g_hash_table_contains(seen, &keys[n]));
                g_hash_table_add(seen, &keys[n]);
                n++;
            }
    g_assert_cmpuint(g_hash_table_size(seen), ==, G_N_ELEMENTS(keys));
}

static void test_uniform_range(void)
{
    g_assert_cmpfloat(hnb_rng_bits_to_uniform(0), ==, 0x1p-53);
    g_assert_cmpfloat(hnb_rng_bits_to_uniform(0), >, 0);
    g_assert_cmpfloat(hnb_rng_bits_to_uniform(UINT64_MAX), ==, 1 - 0x1p-53);
    g_assert_cmpfloat(hnb_rng_bits_to_uniform(UINT64_MAX), <, 1);
    /* symmetric about 1/2: complementary bits give u and 1 - u exactly */
    uint64_t probes[] = {1, 0x8000000000000000u, 0x123456789abcdef0u, 0xfffffffffffff000u, 0x0000000000001000u};
    for (guint i = 0; i < G_N_ELEMENTS(probes); i++)
        g_assert_cmpfloat(hnb_rng_bits_to_uniform(probes[i]) + hnb_rng_bits_to_uniform(~probes[i]), ==, 1.0);

    HnbStream s = hnb_stream(5, 0, "range");
    for (uint64_t i = 0; i < 100000; i++) {
        double u = hnb_rng_uniform(s, 0, i);
        g_assert_true(u > 0 && u < 1);
        g_assert_cmpfloat(u, ==, hnb_rng_bits_to_uniform(hnb_rng_bits(s, 0, i)));
    }
}

/* Each of the 64 output bits is set in about half the draws: catches a 32-bit result or a stuck word. */
static void test_bit_balance(void)
{
    enum { N = 100000 };
    guint ones[64] = {0};
    HnbStream s = hnb_stream(11, 0, "bits");
    for (uint64_t i = 0; i < N; i++) {
        uint64_t x = hnb_rng_bits(s, 1, i);
        for (int b = 0; b < 64; b++)
            ones[b] += (x >> b) & 1;
    }
    double bound = 5 * sqrt(N) / 2; /* 5 standard deviations of a binomial(N, 1/2) count */
    for (int b = 0; b < 64; b++)
        g_assert_cmpfloat(fabs(ones[b] - N / 2.0), <, bound);
}

/* Pearson chi-square of 1e6 uniforms in 100 equal bins, along the counter axis and along the entity axis.
 * With 99 degrees of freedom the statistic has mean 99 and sd 14; P(> 160) is about 1e-4, P(< 50) below 1e-5. */
static double chi_square(HnbStream s, gboolean along_entity)
{
    enum { N = 1000000, BINS = 100 };
    static guint count[BINS];
    memset(count, 0, sizeof count);
    for (uint64_t i = 0; i < N; i++) {
        double u = along_entity ? hnb_rng_uniform(s, i, 0) : hnb_rng_uniform(s, 0, i);
        count[(int)(u * BINS)]++;
    }
    double expect = (double)N / BINS, chi = 0;
    for (int b = 0; b < BINS; b++)
        chi += (count[b] - expect) * (count[b] - expect) / expect;
    return chi;
}

static void test_uniformity(void)
{
    double by_counter = chi_square(hnb_stream(1, 0, "chi"), FALSE);
    double by_entity = chi_square(hnb_stream(1, 0, "chi"), TRUE);
    g_test_message("chi-square: counter axis %.1f, entity axis %.1f (df 99)", by_counter, by_entity);
    g_assert_cmpfloat(by_counter, <, 160);
    g_assert_cmpfloat(by_counter, >, 50);
    g_assert_cmpfloat(by_entity, <, 160);
    g_assert_cmpfloat(by_entity, >, 50);
}

/* Pearson correlation of the uniforms at (sa, ea, c + lag_a) and (sb, eb, c), c = 0 .. n-1. */
static double correlation(HnbStream sa, uint64_t ea, uint64_t lag_a, HnbStream sb, uint64_t eb)
{
    enum { N = 100000 };
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (uint64_t c = 0; c < N; c++) {
        double x = hnb_rng_uniform(sa, ea, c + lag_a), y = hnb_rng_uniform(sb, eb, c);
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    double cov = sxy - sx * sy / N, vx = sxx - sx * sx / N, vy = syy - sy * sy / N;
    return cov / sqrt(vx * vy);
}

static void test_independence(void)
{
    HnbStream base = hnb_stream(1, 0, "hnb.power");
    struct {
        const char *what;
        HnbStream other;
        uint64_t entity, lag;
    } pairs[] = {
        {"other name", hnb_stream(1, 0, "acs.service"), 0, 0},
        {"name one bit apart", hnb_stream(1, 0, "hnb.powes"), 0, 0},
        {"next replication", hnb_stream(1, 1, "hnb.power"), 0, 0},
        {"next seed", hnb_stream(2, 0, "hnb.power"), 0, 0},
        {"next entity", base, 1, 0},
        {"entity 2^32 away", base, (uint64_t)1 << 32, 0},
        {"next counter", base, 0, 1},
    };
    /* the measure itself must see a dependence when there is one */
    g_assert_cmpfloat(correlation(base, 0, 0, base, 0), >, 0.999);

    for (guint i = 0; i < G_N_ELEMENTS(pairs); i++) {
        double r = correlation(pairs[i].other, pairs[i].entity, pairs[i].lag, base, 0);
        g_test_message("%s: r = %+.4f", pairs[i].what, r);
        /* 1e5 pairs: the standard error of r is 0.0032, so 0.02 is over 6 of them */
        g_assert_cmpfloat(fabs(r), <, 0.02);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rng/kat", test_kat);
    g_test_add_func("/rng/stream-recipe", test_stream_recipe);
    g_test_add_func("/rng/reproducible", test_reproducible);
    g_test_add_func("/rng/stream-keys-distinct", test_stream_keys_distinct);
    g_test_add_func("/rng/uniform-range", test_uniform_range);
    g_test_add_func("/rng/bit-balance", test_bit_balance);
    g_test_add_func("/rng/uniformity", test_uniformity);
    g_test_add_func("/rng/independence", test_independence);
    return g_test_run();
}
