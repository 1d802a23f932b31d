/* sim/rng.h — counter-based random streams.
 *
 * A random value is a pure function of (seed, replication, stream name, entity, counter): no generator state is
 * carried between draws.  Each model/purpose draws from its own named stream ("hnb.power", "acs.service"), and each
 * entity keeps its own counter, so adding a draw in one model or for one HNB never shifts another's numbers, and two
 * variants of a scenario run with the same seed see the same attack and the same failures (common random numbers).
 * The replication index is part of the key, so replications are independent whatever thread runs them.
 *
 * The bit generator is Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11),
 * which passes BigCrush for any key/counter pattern.
 */
#ifndef HNB_RNG_H
#define HNB_RNG_H

#include <stdint.h>

/* A named stream: the key derived from (seed, replication, name).  Plain value; copy freely. */
typedef struct {
    uint64_t key;
} HnbStream;

/* Derive a stream.  The name is hashed (64-bit FNV-1a then mixed with seed and replication). */
HnbStream hnb_stream(uint64_t seed, uint32_t replication, const char *name);

/* The 64 random bits number `counter` of `entity` on stream s. */
uint64_t hnb_rng_bits(HnbStream s, uint64_t entity, uint64_t counter);

/* A uniform double in the open interval (0, 1) from hnb_rng_bits(s, entity, counter): hnb_rng_bits_to_uniform. */
double hnb_rng_uniform(HnbStream s, uint64_t entity, uint64_t counter);

/* The top 52 bits as (m + 0.5) * 2^-52: 2^52 equally likely values, exact, symmetric about 1/2, never 0 or 1.
 * (With 53 bits, m + 0.5 is not representable for m >= 2^52 and the largest value rounds to 1.0.) */
static inline double hnb_rng_bits_to_uniform(uint64_t bits)
{
    return ((double)(bits >> 12) + 0.5) * 0x1p-52;
}

/* Convenience cursor: one entity's position on one stream.  Models that need per-entity reproducibility across
 * variants keep `counter` in the entity's state; a cursor is the short-lived form. */
typedef struct {
    HnbStream stream;
    uint64_t entity;
    uint64_t counter;
} HnbRng;

static inline HnbRng hnb_rng_at(HnbStream s, uint64_t entity, uint64_t counter)
{
    HnbRng r = {s, entity, counter};
    return r;
}
static inline double hnb_rng_next(HnbRng *r) { return hnb_rng_uniform(r->stream, r->entity, r->counter++); }
static inline uint64_t hnb_rng_next_bits(HnbRng *r) { return hnb_rng_bits(r->stream, r->entity, r->counter++); }

#endif
