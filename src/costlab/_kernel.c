/* costlab's compiled kernel: one epoch of mini-batch gradient descent of one network in one call.
 *
 * Built with the package (`pip install .`) and called through ctypes by costlab._kernels; the
 * NumPy path of costlab.fast computes the same steps, and the tests hold both to costlab.engine.
 * Per mini-batch of m rows, for the layers l = 1..L:
 *
 *     forward    z^l = a^{l-1} w^l.T + b^l, a^l = sigma(z^l)
 *     output     delta^L = (eta / m) dC/dz^L, and the running record of C and right answers
 *     backward   delta^{l-1} = (delta^l w^l) * sigma'(z^{l-1}), computed before w^l changes
 *     update     [w | b] -> [decay w | b] - delta^T [a | 1]
 *
 * For the epoch each [w | b] is held transposed, (n_in + 1) x P with P = n_out rounded up to whole
 * vectors: then z_x, a row, is a sum of rows of w.T scaled by the numbers a_x[c], and the update
 * subtracts from each row c of w.T the rows delta_x scaled by a_x[c]. Both are register tiles of
 * vectors (6 rows of z by 4 vectors, 6 rows of w.T by 4 vectors, with 32 vector registers) that read each number of a as one
 * broadcast and never sum across a vector; only the product delta w of back-propagation does.
 *
 * The code is compiled once per processor level (AVX-512, AVX2 with FMA, the baseline) and the
 * best one the processor runs is chosen when the library is loaded: one build for every machine.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

enum { SIGMOID, TANH, RELU, IDENTITY, SOFTMAX };        /* costlab._kernel_codes.ACTIVATION_CODES */
enum { QUADRATIC, CROSS_ENTROPY, LOG_LIKELIHOOD };      /* costlab._kernel_codes.COST_CODES */
enum { X_SAME, X_BYTES, X_FLOAT32, X_FLOAT64 };         /* the rows X: the network's type, or converted */
#define MAX_LAYERS 64
#define MAX_VECTOR_OUTPUTS 1024  /* outputs up to which the cross-entropy's row is worked in vectors */
#ifndef DIRECT_ROWS
#define DIRECT_ROWS 16  /* the next batch's rows are fetched line by line (a few) or row by row (more) */
#endif

/* One epoch's arguments (mirrored by costlab._kernels.Epoch). */
typedef struct {
    int64_t L;               /* layers */
    const int64_t *sizes;    /* L + 1 layer sizes */
    void **wbs, **vs;        /* [w | b] per layer, n_out x (n_in + 1), and momentum v (used when mu > 0) */
    const void *X;           /* rows of the first layer's input, of type x_kind */
    int64_t x_kind;
    const void *Y;           /* targets, n_rows x k, the network's type */
    const int64_t *order;    /* the epoch's row order, n */
    int64_t n, m;            /* rows in the epoch, batch size */
    const void *sw;          /* a sample weight per row, or NULL */
    double eta, decay, mu, to_float;
    int64_t hidden, output, cost;
    double *record;          /* NULL, or sum_x C_x, right answers, the first batch's mean cost */
    uint8_t *seen;           /* seen[0]: cleared when the first layer's z of a batch is not finite */
    const int64_t *kinds;    /* NULL, or per layer: RELU (count firing units), another code (saturated), -1 */
    const double *limits;    /* per layer: sigma'(z) below which a neuron is saturated */
    double **sum_b;          /* per layer: sum_x dC/dz */
    int64_t **saturated;     /* per layer: saturated counts per neuron */
    uint8_t **alive;         /* per layer: units that have fired */
    int64_t *slowed;         /* saturated and wrong outputs */
} Epoch;

/* The next batch's rows, fetched into the cache while this batch is worked on. */
typedef struct {
    const char **rows;       /* its rows of X */
    const int64_t *order;    /* their numbers */
    int64_t count;
    size_t row_bytes;
} Ahead;

/* Where the fetching of the next batch's rows stands: a row, a cache line of it, and the lines in a row. */
typedef struct {
    int64_t row, line, per_row;
} Cursor;

static const size_t X_BYTES_PER[] = {0, 1, 4, 8};

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 0, 2)  /* into the second-level cache (measured 5% faster than the first at a batch of 100) */
#else
#define PREFETCH(p) ((void)(p))
#endif

#define CAT3(a, b, c) a##_##b##_##c
#define CAT(a, b, c) CAT3(a, b, c)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KERNEL_X86 1
#endif

/* ---- AVX-512 ---- */
#ifdef KERNEL_X86
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")
#endif
#define ISA avx512
#define VBYTES 64
#define VREGS 32
#include "_kernel_types.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/* ---- AVX2 with FMA ---- */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#define ISA avx2
#define VBYTES 32
#define VREGS 16
#include "_kernel_types.h"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif /* KERNEL_X86 */

/* ---- the baseline: whatever the compiler targets by default ---- */
#define ISA base
#define VBYTES 16
#define VREGS 16
#include "_kernel_types.h"

/* The processor level the kernel runs at: 2 AVX-512, 1 AVX2 with FMA, 0 the baseline. */
int64_t costlab_kernel_level(void) {
#ifdef KERNEL_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
        return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

/* One epoch of the network in e, of float64 (f32 = 0) or float32 (f32 = 1) parameters, at a level no
 * higher than the processor's (-1: the highest). Returns 0, or -1 when memory runs out (nothing changed). */
int64_t costlab_train_epoch(const Epoch *e, int64_t f32, int64_t level) {
    int64_t top = costlab_kernel_level();
    if (level < 0 || level > top) level = top;
    if (e->L < 1 || e->L > MAX_LAYERS || e->m < 1) return -2;
    int64_t status;
#if defined(__x86_64__)
    /* numbers below the normal range (a saturated float32 network's) are taken as 0 for the epoch: the
     * processor works them many times slower (measured: [784, 30, 10] in float32 at eta 1.6, 0.45 s an
     * epoch against 0.055 s), and what they change is below 1e-38 */
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040);  /* flush to zero, denormals are zero */
#endif
#ifdef KERNEL_X86
    if (level == 2) status = f32 ? epoch_avx512_f32(e) : epoch_avx512_f64(e);
    else if (level == 1) status = f32 ? epoch_avx2_f32(e) : epoch_avx2_f64(e);
    else
#endif
    status = f32 ? epoch_base_f32(e) : epoch_base_f64(e);
#if defined(__x86_64__)
    _mm_setcsr(csr);
#endif
    return status;
}

/* out = [X[idx] to_float | 1], rows of n columns of X (x_kind) into float64 (f32 = 0) or float32 rows of
 * n + 1; returns the sum of the values read, finite when they all are (or, rarely, overflowing). */
double costlab_gather(const void *X, int64_t x_kind, int64_t n, const int64_t *idx, int64_t count, void *out,
                      int64_t f32, double to_float) {
    double total = 0;
    float scale32 = (float)to_float;
    for (int64_t i = 0; i < count; i++) {
        int64_t r = idx[i];
        for (int64_t c = 0; c < n; c++) {
            double v;
            if (x_kind == X_BYTES) v = ((const uint8_t *)X)[r * n + c];
            else if (x_kind == X_FLOAT32) v = ((const float *)X)[r * n + c];
            else v = ((const double *)X)[r * n + c];
            if (f32) {  /* in the rows' own type, as NumPy converts them */
                float u = (float)v * scale32;
                ((float *)out)[i * (n + 1) + c] = u;
                total += u;
            } else {
                ((double *)out)[i * (n + 1) + c] = v * to_float;
                total += v * to_float;
            }
        }
        if (f32) ((float *)out)[i * (n + 1) + n] = 1.0f;
        else ((double *)out)[i * (n + 1) + n] = 1.0;
    }
    return total;
}
