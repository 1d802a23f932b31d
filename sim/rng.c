/* sim/rng.c — Philox-4x32-10 keyed by named streams.
 *
 * A draw is philox(key, block) with the 128-bit counter block (counter lo, counter hi, entity lo, entity hi) and the
 * 64-bit key of the stream.  Nothing is stored between draws, so the value of draw `counter` of `entity` depends on
 * nothing else the run did: that is what makes streams reproducible across model variants and thread counts.
 *
 * Only the first 64 of the 128 output bits are used.  Handing out the other half would need a cache (state) or a
 * counter that skips, and a block costs about 9 ns on the development machine (20 multiplies), small against an
 * event.
 */
#include "sim/rng.h"

/* Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11: the round multipliers and
 * the Weyl key increments (the fractional parts of the golden ratio and of sqrt(3), as 32-bit fractions). */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* One Philox round: two 32x32->64 multiplies, the high halves xored with the other words and the key. */
#define PHILOX_ROUND(c0, c1, c2, c3, k0, k1)                                                                           \
    do {                                                                                                               \
        uint64_t p0 = (uint64_t)PHILOX_M0 * (c0);                                                                      \
        uint64_t p1 = (uint64_t)PHILOX_M1 * (c2);                                                                      \
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ (c1) ^ (k0);                                                              \
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ (c3) ^ (k1);                                                              \
        (c1) = (uint32_t)p1;                                                                                           \
        (c3) = (uint32_t)p0;                                                                                           \
        (c0) = n0;                                                                                                     \
        (c2) = n2;                                                                                                     \
    } while (0)

#define PHILOX_BUMP(k0, k1)                                                                                            \
    do {                                                                                                               \
        (k0) += PHILOX_W0;                                                                                             \
        (k1) += PHILOX_W1;                                                                                             \
    } while (0)

uint64_t hnb_rng_bits(HnbStream s, uint64_t entity, uint64_t counter)
{
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32);
    uint32_t c2 = (uint32_t)entity, c3 = (uint32_t)(entity >> 32);
    uint32_t k0 = (uint32_t)s.key, k1 = (uint32_t)(s.key >> 32);

    /* Ten rounds, the key bumped between consecutive rounds (nine bumps).  Written out so the compiler keeps all
     * six words in registers. */
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);
    PHILOX_BUMP(k0, k1);
    PHILOX_ROUND(c0, c1, c2, c3, k0, k1);

    return (uint64_t)c0 | (uint64_t)c1 << 32;
}

double hnb_rng_uniform(HnbStream s, uint64_t entity, uint64_t counter)
{
    return hnb_rng_bits_to_uniform(hnb_rng_bits(s, entity, counter));
}

/* The splitmix64 finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA'14, with
 * Vigna's constants): a bijection on 64 bits with full avalanche, so xoring one input into the state before it
 * keeps the key injective in that input. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* 64-bit FNV-1a (Fowler, Noll, Vo): offset basis and prime from the reference description. */
static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xCBF29CE484222325u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001B3u;
    }
    return h;
}

HnbStream hnb_stream(uint64_t seed, uint32_t replication, const char *name)
{
    /* Each step is mix64(state ^ input), a bijection of the input for a fixed state: two streams that differ in
     * exactly one of seed, name hash or replication never share a key.  The golden-ratio offset keeps seed 0 from
     * mapping to key 0 (mix64(0) == 0). */
    uint64_t k = mix64(seed + 0x9E3779B97F4A7C15u);
    k = mix64(k ^ fnv1a64(name ? name : ""));
    k = mix64(k ^ replication);
    HnbStream s = {k};
    return s;
}
