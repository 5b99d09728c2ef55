/* One epoch of mini-batch gradient descent for one network, in the number type T.
 *
 * Included by _kernel.c once per number type (T = double, float) and processor
 * level; NAME(x) gives each copy its own names. See _kernel.c for the layout.
 */

#define VL ((int64_t)(VBYTES / sizeof(T)))
#define PANEL (4 * VL)  /* columns of w.T stored together: (n_in + 1) x PANEL, row by row */
/* The register tiles' rows for panels of J vectors: as many as VREGS vector registers hold (with the operands) */
#define FORWARD_MR(J) (VREGS >= 32 ? ((J) >= 3 ? 6 : 10) : (J) == 4 ? 2 : (J) == 3 ? 3 : 5)
#define FORWARD_MR2(J) (VREGS >= 32 ? ((J) >= 3 ? 4 : 5) : 1)
/* ROWS(J) for the panel's width JV of 1 to 4 vectors, J a constant in each branch */
#define BY_WIDTH(ROWS) \
    do { if (JV == 4) ROWS(4); else if (JV == 3) ROWS(3); else if (JV == 2) ROWS(2); else ROWS(1); } while (0)
#define UPDATE_CR(J) (VREGS >= 32 ? ((J) >= 3 ? 6 : 8) : (J) == 4 ? 2 : (J) == 3 ? 3 : 5)
typedef T NAME(vec) __attribute__((vector_size(VBYTES)));
#define V NAME(vec)
#define LOADV(p) (*(const V *)(p))
#define STOREV(p, x) (*(V *)(p) = (x))

typedef __typeof__((V){0} < (V){0}) NAME(ivec);  /* the integers of a vector's lanes' width */
#define IV NAME(ivec)
/* 1/q, for the series below */
static const T NAME(inv)[36] = {0, (T)(1.0 / 1), (T)(1.0 / 2), (T)(1.0 / 3), (T)(1.0 / 4), (T)(1.0 / 5), (T)(1.0 / 6), (T)(1.0 / 7), (T)(1.0 / 8), (T)(1.0 / 9), (T)(1.0 / 10), (T)(1.0 / 11), (T)(1.0 / 12), (T)(1.0 / 13), (T)(1.0 / 14), (T)(1.0 / 15), (T)(1.0 / 16), (T)(1.0 / 17), (T)(1.0 / 18), (T)(1.0 / 19), (T)(1.0 / 20), (T)(1.0 / 21), (T)(1.0 / 22), (T)(1.0 / 23), (T)(1.0 / 24), (T)(1.0 / 25), (T)(1.0 / 26), (T)(1.0 / 27), (T)(1.0 / 28), (T)(1.0 / 29), (T)(1.0 / 30), (T)(1.0 / 31), (T)(1.0 / 32), (T)(1.0 / 33), (T)(1.0 / 34), (T)(1.0 / 35)};

/* exp(x) for x <= 0 (or NaN), lane by lane, to about an ulp: exp(x) = 2^k exp(r), k = round(x / ln 2),
 * |r| <= ln(2) / 2, exp(r) by its Taylor series to r^13 / 13! (r^8 / 8! in float32). Below
 * x = -708 (-87 in float32), where exp(x) leaves the normal numbers, exp(-708) (exp(-87)). */
static inline __attribute__((always_inline)) V NAME(vexp_neg)(V x) {
    const int dbl = sizeof(T) == 8;
    const T lo = dbl ? (T)-708.0 : (T)-87.0, magic = dbl ? (T)6755399441055744.0 : (T)12582912.0;
    IV low = x < lo;
    x = (V)(((IV)x & ~low) | ((IV)((V){0} + lo) & low));
    V t = x * (T)1.4426950408889634 + magic, k = t - magic;
    V r = x - k * (T)0.693145751953125 - k * (T)1.4286068203094173e-06;
    V p = (V){0} + (T)1;
    for (int q = dbl ? 13 : 8; q >= 1; q--) p = (T)1 + p * r * NAME(inv)[q];
    IV bits = ((IV)t - (IV)((V){0} + magic) + (dbl ? 1023 : 127)) << (dbl ? 52 : 23);
    return p * (V)bits;
}

/* log(1 + e) for 0 <= e <= 1 (or NaN), lane by lane: 2 atanh(s) = 2 sum_n s^(2n+1) / (2n + 1), s = e / (2 + e) <= 1/3. */
static inline __attribute__((always_inline)) V NAME(vlog1p_unit)(V e) {
    V s = e / ((T)2 + e), u = s * s, q = (V){0} + NAME(inv)[sizeof(T) == 8 ? 35 : 17];
    for (int n = sizeof(T) == 8 ? 16 : 7; n >= 0; n--) q = q * u + NAME(inv)[2 * n + 1];
    return (T)2 * s * q;
}

/* a = sigma(z) over n values, n a whole number of vectors (the elementwise activations). */
static void NAME(activate)(T *a, const T *z, int64_t n, int code) {
    if (code == SIGMOID) {  /* as scipy's expit: e = exp(-|z|) never overflows */
        IV sign = (IV)(-(V){0});  /* the sign bit: -0 */
        for (int64_t k = 0; k < n; k += VL) {
            V v = LOADV(z + k), e = NAME(vexp_neg)((V)((IV)v | sign));
            IV up = v >= (T)0;
            STOREV(a + k, (V)(((IV)((V){0} + (T)1) & up) | ((IV)e & ~up)) / ((T)1 + e));
        }
        return;
    }
    for (int64_t k = 0; k < n; k++) {
        T v = z[k];
        if (code == TANH) {
            a[k] = TANHF(v);
        } else if (code == RELU) {
            a[k] = v > 0 ? v : (T)0;
        } else {
            a[k] = v;
        }
    }
}

/* sigma'(z) written from a = sigma(z). */
static inline T NAME(prime)(T a, int code) {
    if (code == SIGMOID) return a * ((T)1 - a);
    if (code == TANH) return (T)1 - a * a;
    if (code == RELU) return a > 0 ? (T)1 : (T)0;
    return (T)1;
}

/* z_i += sum_{c0 <= c < c1} x_i[c] wT[c] for a tile of MR rows x_i and JV vectors of z from j; the sums start
 * from the bias (row n_in of the panel wp) when c0 = 0, else from z. */
#define FORWARD_TILE(MR, JV)                                                                       \
    static inline __attribute__((always_inline)) void NAME(forward_##MR##_##JV)(                   \
        const T *const *x, const T *wp, int64_t W, int64_t c0, int64_t c1, int64_t n_in, T *z,     \
        int64_t ldz, int64_t j) {                                                                  \
        V acc[MR][JV];                                                                             \
        const T *xr[MR];                                                                           \
        _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) xr[r] = x[r];                        \
        _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++)                                      \
            _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++)                                   \
                acc[r][v] = c0 == 0 ? LOADV(wp + n_in * W + v * VL) : LOADV(z + r * ldz + j + v * VL); \
        for (int64_t c = c0; c < c1; c++) {                                                        \
            const T *w = wp + c * W;                                                               \
            V wv[JV];                                                                              \
            _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++) wv[v] = LOADV(w + v * VL);        \
            _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++) {                                \
                T s = xr[r][c];                                                                    \
                _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++) acc[r][v] += s * wv[v];       \
            }                                                                                      \
        }                                                                                          \
        _Pragma("GCC unroll 16") for (int r = 0; r < MR; r++)                                      \
            _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++) STOREV(z + r * ldz + j + v * VL, acc[r][v]); \
    }
FORWARD_TILE(10, 2)
FORWARD_TILE(10, 1)
FORWARD_TILE(6, 4)
FORWARD_TILE(6, 3)
FORWARD_TILE(5, 2)
FORWARD_TILE(5, 1)
FORWARD_TILE(4, 4)
FORWARD_TILE(4, 3)
FORWARD_TILE(2, 4)
FORWARD_TILE(3, 3)
FORWARD_TILE(1, 4)
FORWARD_TILE(1, 3)
FORWARD_TILE(1, 2)
FORWARD_TILE(1, 1)

/* One tile of MR rows of z (FORWARD_MR, FORWARD_MR2 or 1) by JV vectors, rows c0..c1 of the panel. */
static inline __attribute__((always_inline)) void NAME(forward_tile)(int MR, int64_t JV, const T *const *x, const T *wp, int64_t W, int64_t c0,
                                      int64_t c1, int64_t n_in, T *z, int64_t ldz, int64_t j) {
#define FORWARD_CASE(R, J) \
    if (MR == R && JV == J) return NAME(forward_##R##_##J)(x, wp, W, c0, c1, n_in, z, ldz, j);
    FORWARD_CASE(10, 2) FORWARD_CASE(10, 1) FORWARD_CASE(6, 4) FORWARD_CASE(6, 3) FORWARD_CASE(5, 2)
    FORWARD_CASE(5, 1) FORWARD_CASE(4, 4) FORWARD_CASE(4, 3) FORWARD_CASE(2, 4) FORWARD_CASE(3, 3)
    FORWARD_CASE(1, 4) FORWARD_CASE(1, 3) FORWARD_CASE(1, 2) FORWARD_CASE(1, 1)
#undef FORWARD_CASE
}

/* z = [x | 1] [w | b].T for mb rows x (pointers), wT the layer's (n_in + 1) x P transpose. */
static void NAME(forward)(const T *const *x, int64_t mb, const T *wT, int64_t P, int64_t n_in, T *z) {
    /* a panel of w.T at a time, a block of its rows at a time (about 16 KB, kept in the first-level
     * cache), through every row of the batch */
    for (int64_t j = 0; j < P; j += PANEL) {
        const T *wp = wT + (n_in + 1) * j;
        int64_t W = P - j < PANEL ? P - j : PANEL, JV = W / VL;
        int64_t KC = 16384 / (W * (int64_t)sizeof(T));
        for (int64_t c0 = 0; c0 < n_in || c0 == 0; c0 += KC) {
            int64_t c1 = n_in - c0 < KC ? n_in : c0 + KC;
            /* tiles as tall as the vector registers allow (a constant for each JV, so each call below is one tile) */
#define FORWARD_ROWS(J)                                                                                  \
    do {                                                                                                 \
        int64_t i = 0;                                                                                   \
        for (; i + FORWARD_MR(J) <= mb; i += FORWARD_MR(J))                                              \
            NAME(forward_tile)(FORWARD_MR(J), J, x + i, wp, W, c0, c1, n_in, z + i * P, P, j);          \
        for (; i + FORWARD_MR2(J) <= mb; i += FORWARD_MR2(J))                                           \
            NAME(forward_tile)(FORWARD_MR2(J), J, x + i, wp, W, c0, c1, n_in, z + i * P, P, j);         \
        for (; i < mb; i++) NAME(forward_tile)(1, J, x + i, wp, W, c0, c1, n_in, z + i * P, P, j);      \
    } while (0)
            BY_WIDTH(FORWARD_ROWS);
#undef FORWARD_ROWS
        }
    }
}

/* Rows c..c+CR of wT (JV vectors from j), all weights (c + CR <= n_in): u -> s u - sum_i x_i[c] d_i, where
 * u is w (s = decay) or, with momentum, v (s = mu), then w -> decay w + v. */
#define UPDATE_TILE(CR, JV)                                                                          \
    static inline __attribute__((always_inline)) void NAME(update_##CR##_##JV)(                      \
        T *wp, T *vp, const T *const *x, const T *d, int64_t mb, int64_t P, int64_t W, int64_t c,    \
        int64_t j, T decay, T mu) {                                                                  \
        V acc[CR][JV];                                                                               \
        T *u = (mu > 0 ? vp : wp) + c * W;                                                           \
        T s = mu > 0 ? mu : decay;                                                                   \
        if (s == (T)1) /* no decay, no momentum: w as it is */                                       \
            _Pragma("GCC unroll 16") for (int r = 0; r < CR; r++)                                     \
                _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++) acc[r][v] = LOADV(u + r * W + v * VL); \
        else                                                                                         \
            _Pragma("GCC unroll 16") for (int r = 0; r < CR; r++)                                     \
                _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++)                                 \
                    acc[r][v] = s * LOADV(u + r * W + v * VL);                                       \
        for (int64_t i = 0; i < mb; i++) {                                                           \
            V dv[JV];                                                                                \
            const T *xi = x[i] + c;                                                                  \
            _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++) dv[v] = LOADV(d + i * P + j + v * VL); \
            _Pragma("GCC unroll 16") for (int r = 0; r < CR; r++) {                                   \
                T t = xi[r];                                                                         \
                _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++) acc[r][v] -= t * dv[v];         \
            }                                                                                        \
        }                                                                                            \
        _Pragma("GCC unroll 16") for (int r = 0; r < CR; r++)                                         \
            _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++) STOREV(u + r * W + v * VL, acc[r][v]); \
        if (mu > 0)                                                                                  \
            _Pragma("GCC unroll 16") for (int r = 0; r < CR; r++) {                                   \
                T *w = wp + (c + r) * W;                                                             \
                _Pragma("GCC unroll 4") for (int v = 0; v < JV; v++)                                 \
                    STOREV(w + v * VL, decay * LOADV(w + v * VL) + acc[r][v]);                       \
            }                                                                                        \
    }
UPDATE_TILE(8, 2)
UPDATE_TILE(8, 1)
UPDATE_TILE(6, 4)
UPDATE_TILE(6, 3)
UPDATE_TILE(5, 2)
UPDATE_TILE(5, 1)
UPDATE_TILE(2, 4)
UPDATE_TILE(3, 3)
UPDATE_TILE(4, 4)
UPDATE_TILE(4, 3)
UPDATE_TILE(4, 2)
UPDATE_TILE(4, 1)
UPDATE_TILE(1, 4)
UPDATE_TILE(1, 3)
UPDATE_TILE(1, 2)
UPDATE_TILE(1, 1)

/* Prefetch the next batch's rows while the update of layer 0 has reached column c_end (of n_in); ``at`` is where
 * the fetching stands (a row and a cache line of it; no division per line, which would cost more than the line).
 * A few rows: the lines of every row up to the same column, as the update reaches it; many rows: row by row,
 * ``budget`` lines at a time. Either way the lines are spread over the update, so that the memory's latency hides
 * behind the arithmetic without filling the line buffers at once (measured at hidden 30: the first 0.109 s an
 * epoch against 0.117 s at a batch of 10 in float64, the second 0.130 s against 0.177 s at a batch of 100). */
static inline __attribute__((always_inline)) void NAME(fetch_ahead)(const Ahead *ahead, Cursor *at, int64_t c_end,
                                                                   int64_t n_in, int64_t budget) {
    if (ahead->count <= DIRECT_ROWS) {  /* line by line across the rows */
        int64_t upto = c_end >= n_in ? at->per_row : (int64_t)(((size_t)c_end * ahead->row_bytes / (size_t)n_in + 63) / 64);
        for (; at->line < upto; at->line++)
            for (int64_t i = 0; i < ahead->count; i++) PREFETCH(ahead->rows[i] + 64 * at->line);
        return;
    }
    for (; budget > 0 && at->row < ahead->count; budget--) {  /* row by row */
        PREFETCH(ahead->rows[at->row] + 64 * at->line);
        if (++at->line == at->per_row) at->line = 0, at->row++;
    }
}

/* One tile of CR rows of w.T (UPDATE_CR or 1) by JV vectors. */
static inline __attribute__((always_inline)) void NAME(update_tile)(int CR, int64_t JV, T *wp, T *vp, const T *const *x, const T *d, int64_t mb,
                                     int64_t P, int64_t W, int64_t c, int64_t j, T decay, T mu) {
#define UPDATE_CASE(R, J) \
    if (CR == R && JV == J) return NAME(update_##R##_##J)(wp, vp, x, d, mb, P, W, c, j, decay, mu);
    UPDATE_CASE(8, 2) UPDATE_CASE(8, 1) UPDATE_CASE(6, 4) UPDATE_CASE(6, 3) UPDATE_CASE(5, 2) UPDATE_CASE(5, 1)
    UPDATE_CASE(2, 4) UPDATE_CASE(3, 3) UPDATE_CASE(4, 4) UPDATE_CASE(4, 3) UPDATE_CASE(4, 2) UPDATE_CASE(4, 1)
    UPDATE_CASE(1, 4) UPDATE_CASE(1, 3) UPDATE_CASE(1, 2) UPDATE_CASE(1, 1)
#undef UPDATE_CASE
}

/* [w | b] -> [decay w | b] - d.T [x | 1] (with momentum mu: through v), in the transposed layout. */
static void NAME(update)(T *wT, T *vT, const T *const *x, const T *d, int64_t mb, int64_t P, int64_t n_in,
                         T decay, T mu, const Ahead *ahead) {
    /* the next batch's rows (ahead, for layer 0), fetched a few cache lines per tile */
    Cursor at = {0, 0, ahead ? (int64_t)((ahead->row_bytes + 63) / 64) : 0};
    int64_t lines = ahead ? ahead->count * at.per_row : 0;
    int64_t per_tile = lines / ((n_in / 4 + 1) * ((P + PANEL - 1) / PANEL)) + 1;
    /* a panel of w.T at a time, every row of it, while those columns of d are in the cache */
    for (int64_t j = 0; j < P; j += PANEL) {
        T *wp = wT + (n_in + 1) * j, *vp = vT ? vT + (n_in + 1) * j : NULL;
        int64_t W = P - j < PANEL ? P - j : PANEL, JV = W / VL, c = 0;
#define UPDATE_ROWS(J)                                                                                   \
    do {                                                                                                 \
        for (; c + UPDATE_CR(J) <= n_in; c += UPDATE_CR(J)) {                                            \
            if (lines) NAME(fetch_ahead)(ahead, &at, c + UPDATE_CR(J), n_in, per_tile * UPDATE_CR(J) / 4);  \
            NAME(update_tile)(UPDATE_CR(J), J, wp, vp, x, d, mb, P, W, c, j, decay, mu);                 \
        }                                                                                                \
        for (; c < n_in; c++) NAME(update_tile)(1, J, wp, vp, x, d, mb, P, W, c, j, decay, mu);         \
    } while (0)
        BY_WIDTH(UPDATE_ROWS);
#undef UPDATE_ROWS
        if (lines) NAME(fetch_ahead)(ahead, &at, n_in, n_in, lines);
        /* the bias: b -> b - sum_i d_i, or v -> mu v - sum_i d_i, b -> b + v */
        T *b = (mu > 0 ? vp : wp) + n_in * W;
        for (int64_t v = 0; v < W; v += VL) {
            V acc = (mu > 0 ? mu : (T)1) * LOADV(b + v);
            for (int64_t i = 0; i < mb; i++) acc -= LOADV(d + i * P + j + v);
            STOREV(b + v, acc);
            if (mu > 0) STOREV(wp + n_in * W + v, LOADV(wp + n_in * W + v) + acc);
        }
    }
}

/* belowT[c] = sum_j w.T[c, j] dT[j] for a tile of NV vectors of the batch's rows, every c < n_in. */
#define BACKWARD_TILE(NV)                                                                          \
    static inline __attribute__((always_inline)) void NAME(backward_##NV)(                         \
        T *bT, const T *dT, int64_t MP, const T *wT, int64_t P, int64_t n_in, int64_t n_out, int64_t i) { \
        for (int64_t c = 0; c < n_in; c++) {                                                       \
            V acc[NV];                                                                             \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[v] = (V){0};                  \
            for (int64_t j0 = 0; j0 < n_out; j0 += PANEL) {                                        \
                int64_t W = P - j0 < PANEL ? P - j0 : PANEL, end = n_out - j0 < W ? n_out - j0 : W; \
                const T *w = wT + (n_in + 1) * j0 + c * W, *dj = dT + j0 * MP + i;                 \
                for (int64_t j = 0; j < end; j++) {                                                \
                    T s = w[j];                                                                    \
                    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)                           \
                        acc[v] += s * LOADV(dj + j * MP + v * VL);                                 \
                }                                                                                  \
            }                                                                                      \
            _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) STOREV(bT + c * MP + i + v * VL, acc[v]); \
        }                                                                                          \
    }
BACKWARD_TILE(4)
BACKWARD_TILE(2)
BACKWARD_TILE(1)

/* below_i[c] = (sum_j d_i[j] w[j, c]) sigma'(z_i[c]), from a = sigma(z) of the layer below: worked with the
 * batch's rows as the vectors' lanes (d and the result transposed in the scratch dT, bT of n x MP), so that no
 * sum runs across a vector. */
static void NAME(backward)(T *below, int64_t Pb, const T *d, const T *wT, int64_t P, int64_t n_in, int64_t n_out,
                           const T *a, int64_t mb, int code, T *dT, T *bT, int64_t MP) {
    for (int64_t i = 0; i < mb; i++)
        for (int64_t j = 0; j < n_out; j++) dT[j * MP + i] = d[i * P + j];
    int64_t rows = (mb + VL - 1) / VL * VL, i = 0;
    for (; i + 4 * VL <= rows; i += 4 * VL) NAME(backward_4)(bT, dT, MP, wT, P, n_in, n_out, i);
    for (; i + 2 * VL <= rows; i += 2 * VL) NAME(backward_2)(bT, dT, MP, wT, P, n_in, n_out, i);
    for (; i < rows; i += VL) NAME(backward_1)(bT, dT, MP, wT, P, n_in, n_out, i);
    for (int64_t i = 0; i < mb; i++)
        for (int64_t c = 0; c < n_in; c++) below[i * Pb + c] = bT[c * MP + i] * NAME(prime)(a[i * Pb + c], code);
}

/* The cross-entropy's row in vectors: d = scale (a - y) (zero in the lanes past k), and when keep
 * C_x = sum_j y max(-z, 0) + (1 - y) max(z, 0) + log(1 + exp(-|z|)), from z, never from a rounded a. */
static double NAME(cross_entropy_error)(const T *z, const T *a, const T *y, T *d, int64_t k, int64_t PL, T scale,
                                        int keep) {
    _Alignas(64) T yb[MAX_VECTOR_OUTPUTS], in[MAX_VECTOR_OUTPUTS];
    for (int64_t j = 0; j < PL; j++) {
        yb[j] = j < k ? y[j] : (T)0;
        in[j] = j < k ? (T)1 : (T)0;
    }
    V total = {0};
    IV sign = (IV)(-(V){0});  /* the sign bit: -0 */
    for (int64_t j = 0; j < PL; j += VL) {
        V m = LOADV(in + j), t = LOADV(yb + j), v = LOADV(z + j);
        STOREV(d + j, m * scale * (LOADV(a + j) - t));
        if (!keep) continue;
        V up = (V)((IV)v & (v > (T)0)), down = (V)((IV)-v & (v < (T)0));
        V softplus = NAME(vlog1p_unit)(NAME(vexp_neg)((V)((IV)v | sign)));
        total += m * (t * down + ((T)1 - t) * up + softplus);
    }
    double C = 0;
    for (int64_t q = 0; q < VL; q++) C += total[q];
    return C;
}

/* Row i: d_i = scale dC/dz^L; returns C_x (from z where a stable form exists) when keep, else 0. */
static double NAME(output_error)(const T *z, const T *a, const T *y, T *d, int64_t k, T scale, int output,
                                 int cost, int keep) {
    double C = 0;
    if (cost == CROSS_ENTROPY) {  /* sigmoid output: delta = a - y */
        for (int64_t j = 0; j < k; j++) d[j] = scale * (a[j] - y[j]);
        if (keep)
            for (int64_t j = 0; j < k; j++) {
                double v = z[j], t = y[j];
                C += t * fmax(-v, 0.0) + (1.0 - t) * fmax(v, 0.0) + log1p(exp(-fabs(v)));
            }
        return C;
    }
    if (cost == LOG_LIKELIHOOD) {  /* softmax output: delta = a sum(y) - y */
        double top = z[0], rest = 0, ysum = 0, ys = 0;
        int64_t arg = 0;
        for (int64_t j = 1; j < k; j++)
            if (z[j] > top) top = z[j], arg = j;
        for (int64_t j = 0; j < k; j++) {
            if (keep && j != arg) rest += exp((double)z[j] - top);
            ysum += y[j];
            ys += y[j] * ((double)z[j] - top);
        }
        for (int64_t j = 0; j < k; j++) d[j] = scale * (a[j] * (T)ysum - y[j]);
        return ysum * log1p(rest) - ys;
    }
    if (output == SOFTMAX) {  /* quadratic cost of a softmax output */
        T ag = 0;
        for (int64_t j = 0; j < k; j++) ag += a[j] * (a[j] - y[j]);
        for (int64_t j = 0; j < k; j++) {
            T g = a[j] - y[j];
            C += 0.5 * (double)g * g;
            d[j] = scale * a[j] * (g - ag);
        }
        return C;
    }
    for (int64_t j = 0; j < k; j++) {  /* quadratic: delta = (a - y) sigma'(z) */
        T g = a[j] - y[j];
        C += 0.5 * (double)g * g;
        d[j] = scale * g * NAME(prime)(a[j], output);
    }
    return C;
}

/* a = softmax(z) per row, or the elementwise activation. */
static void NAME(activate_rows)(T *a, const T *z, int64_t mb, int64_t n, int64_t P, int code) {
    for (int64_t i = 0; i < mb; i++) {
        const T *zi = z + i * P;
        T *ai = a + i * P;
        if (code != SOFTMAX) {
            NAME(activate)(ai, zi, code == SIGMOID ? P : n, code);
            continue;
        }
        T top = zi[0], total = 0;
        for (int64_t j = 1; j < n; j++) top = zi[j] > top ? zi[j] : top;
        for (int64_t j = 0; j < n; j++) total += (ai[j] = EXP(zi[j] - top));
        for (int64_t j = 0; j < n; j++) ai[j] /= total;
    }
}

/* Whether row i's output a is right: a > 1/2 as y > 1/2 for one output, else argmax a = argmax y. */
static int NAME(right)(const T *a, const T *y, int64_t k) {
    if (k == 1) return (a[0] > (T)0.5) == (y[0] > (T)0.5);
    int64_t arg_a = 0, arg_y = 0;
    for (int64_t j = 1; j < k; j++) {
        if (a[j] > a[arg_a]) arg_a = j;
        if (y[j] > y[arg_y]) arg_y = j;
    }
    return arg_a == arg_y;
}

/* The per-layer counts of a batch's forward pass (see costlab_train_epoch in _kernel.c). */
static void NAME(count_layers)(const Epoch *e, T *const *acts, const int64_t *P, const T *Y, const int64_t *rows,
                               int64_t mb) {
    int64_t L = e->L, k = e->sizes[L];
    for (int64_t l = 0; l < L; l++) {
        const T *a = acts[l + 1];
        int64_t n = e->sizes[l + 1], kind = e->kinds[l];
        if (kind == RELU) {
            for (int64_t i = 0; i < mb; i++)
                for (int64_t j = 0; j < n; j++)
                    if (a[i * P[l + 1] + j] > 0) e->alive[l][j] = 1;
        } else if (kind >= 0) {
            for (int64_t i = 0; i < mb; i++) {
                const T *y = Y + rows[i] * k;
                for (int64_t j = 0; j < n; j++) {
                    T v = a[i * P[l + 1] + j];
                    if (NAME(prime)(v, (int)kind) < e->limits[l]) {
                        e->saturated[l][j] += 1;
                        if (l == L - 1 && ABS(v - y[j]) > (T)0.5) e->slowed[0] += 1;
                    }
                }
            }
        }
    }
}

/* [w | b] (n_out x (n_in + 1)) to its transpose wT ((n_in + 1) x P), or back. */
static void NAME(transpose)(T *wb, T *wT, int64_t n_out, int64_t n_in, int64_t P, int back) {
    for (int64_t j = 0; j < n_out; j++) {
        int64_t j0 = j / PANEL * PANEL, W = P - j0 < PANEL ? P - j0 : PANEL;
        for (int64_t c = 0; c <= n_in; c++) {
            T *t = wT + (n_in + 1) * j0 + c * W + (j - j0);
            if (back) wb[j * (n_in + 1) + c] = *t;
            else *t = wb[j * (n_in + 1) + c];
        }
    }
}

/* The first layer's input rows of a batch: X's own rows where it has type T, else converted into a0. A big batch
 * whose rows the first layer reads once for each of several panels of w.T is copied into a0 even so: rows side by
 * side are quicker to read again than rows scattered over X (measured with hidden 300, a batch of 100, float64:
 * 0.741 s an epoch against 0.772 s; with hidden 30, one panel, the copy costs more than it saves). */
static void NAME(input_rows)(const Epoch *e, const int64_t *rows, int64_t mb, T *a0, const T **x, int side_by_side) {
    int64_t n0 = e->sizes[0];
    for (int64_t i = 0; i < mb; i++) {
        int64_t r = rows[i];
        T *out = a0 + i * n0;
        if (e->x_kind == X_SAME && !side_by_side) {
            x[i] = (const T *)e->X + r * n0;
            continue;
        }
        if (e->x_kind == X_SAME) {
            memcpy(out, (const T *)e->X + r * n0, (size_t)n0 * sizeof(T));
            x[i] = out;
            continue;
        }
        if (e->x_kind == X_BYTES) {
            const uint8_t *src = (const uint8_t *)e->X + r * n0;
            for (int64_t c = 0; c < n0; c++) out[c] = (T)src[c] * (T)e->to_float;
        } else if (e->x_kind == X_FLOAT32) {
            const float *src = (const float *)e->X + r * n0;
            for (int64_t c = 0; c < n0; c++) out[c] = (T)src[c];
        } else {
            const double *src = (const double *)e->X + r * n0;
            for (int64_t c = 0; c < n0; c++) out[c] = (T)src[c];
        }
        x[i] = out;
    }
}

/* The output error of a batch into d, and its running record (sum C_x, right answers, the first batch's mean). */
static void NAME(output_batch)(const Epoch *e, const T *zL, const T *aL, T *dL, int64_t PL, const int64_t *rows,
                               int64_t mb, int first) {
    int64_t k = e->sizes[e->L];
    const T *Y = (const T *)e->Y, *sw = (const T *)e->sw;
    int keep = e->record != NULL;
    double total_w = 0, sum = 0;
    if (sw)
        for (int64_t i = 0; i < mb; i++) total_w += sw[rows[i]];
    for (int64_t i = 0; i < mb; i++) {
        const T *y = Y + rows[i] * k;
        double w_x = sw ? (double)sw[rows[i]] : 1.0;
        T scale = sw ? (T)(total_w != 0 ? e->eta * w_x / total_w : 0.0) : (T)(e->eta / (double)mb);
        double C = e->cost == CROSS_ENTROPY && PL <= MAX_VECTOR_OUTPUTS
                       ? NAME(cross_entropy_error)(zL + i * PL, aL + i * PL, y, dL + i * PL, k, PL, scale, keep)
                       : NAME(output_error)(zL + i * PL, aL + i * PL, y, dL + i * PL, k, scale, e->output, e->cost, keep);
        if (!keep) continue;
        C *= w_x;
        e->record[0] += C;
        sum += C;
        if (NAME(right)(aL + i * PL, y, k)) e->record[1] += w_x;
    }
    if (keep && first) e->record[2] = sw ? (total_w != 0 ? sum / total_w : NAN) : sum / (double)mb;
}

/* sum_x dC/dz^l into sum_b[l] for every layer, from d^l = (eta / m) dC/dz^l (or eta w_x / sum_x w_x). */
static void NAME(sum_deltas)(const Epoch *e, T *const *deltas, const int64_t *P, const int64_t *rows, int64_t mb) {
    double total = (double)mb;
    if (e->sw) {
        total = 0;
        for (int64_t i = 0; i < mb; i++) total += ((const T *)e->sw)[rows[i]];
    }
    double unscale = total / e->eta;
    for (int64_t l = 0; l < e->L; l++) {
        double *sum_b = e->sum_b[l];
        for (int64_t i = 0; i < mb; i++)
            for (int64_t j = 0; j < e->sizes[l + 1]; j++) sum_b[j] += (double)deltas[l][i * P[l + 1] + j] * unscale;
    }
}

/* Whether the first layer's z of a batch is finite (a NaN or infinity in X gives one that is not). */
static int NAME(finite)(const T *z, int64_t mb, int64_t P) {
    V total = {0};
    for (int64_t k = 0; k < mb * P; k += VL) total += LOADV(z + k);  /* the lanes past n are 0 */
    double sum = 0;
    for (int64_t q = 0; q < VL; q++) sum += total[q];
    return isfinite(sum);
}

/* One mini-batch step: forward pass, counts, output error and record, back-propagation with updates. */
static void NAME(step)(const Epoch *e, T **wT, T **vT, T **acts, T **deltas, const int64_t *P, const T **x,
                       const T **xs, const int64_t *rows, int64_t mb, int first, const Ahead *ahead, T *scratch,
                       int64_t MP, int64_t max_n) {
    int64_t L = e->L;
    for (int64_t i = 0; i < ahead->count; i++) {  /* the next batch's targets and weights */
        PREFETCH((const T *)e->Y + ahead->order[i] * e->sizes[L]);
        if (e->sw) PREFETCH((const T *)e->sw + ahead->order[i]);
    }
    for (int64_t l = 0; l < L; l++) {
        const T *const *in = x;
        if (l > 0) {
            for (int64_t i = 0; i < mb; i++) xs[i] = acts[l] + i * P[l];
            in = xs;
        }
        T *z = l == L - 1 ? deltas[L] : acts[l + 1];  /* deltas[L]: the output layer's z */
        NAME(forward)(in, mb, wT[l], P[l + 1], e->sizes[l], z);
        if (l == 0 && e->seen[0] && !NAME(finite)(z, mb, P[1])) e->seen[0] = 0;
        NAME(activate_rows)(acts[l + 1], z, mb, e->sizes[l + 1], P[l + 1], l < L - 1 ? e->hidden : e->output);
    }
    if (e->kinds) NAME(count_layers)(e, acts, P, (const T *)e->Y, rows, mb);
    NAME(output_batch)(e, deltas[L], acts[L], deltas[L - 1], P[L], rows, mb, first);
    for (int64_t l = L - 1; l >= 0; l--) {
        if (l > 0) {
            NAME(backward)(deltas[l - 1], P[l], deltas[l], wT[l], P[l + 1], e->sizes[l], e->sizes[l + 1], acts[l], mb,
                           e->hidden, scratch, scratch + (size_t)MP * max_n, MP);
            for (int64_t i = 0; i < mb; i++) xs[i] = acts[l] + i * P[l];
        }
        NAME(update)(wT[l], vT[l], l > 0 ? xs : x, deltas[l], mb, P[l + 1], e->sizes[l], (T)e->decay, (T)e->mu,
                     l == 0 ? ahead : NULL);
    }
    if (e->kinds) NAME(sum_deltas)(e, deltas, P, rows, mb);
}

/* The epoch: scratch in the transposed layout, every batch's step, the weights back in place. */
static int NAME(epoch)(const Epoch *e) {
    int64_t L = e->L, m = e->m, P[MAX_LAYERS + 1];
    T *wT[MAX_LAYERS], *vT[MAX_LAYERS], *acts[MAX_LAYERS + 1], *deltas[MAX_LAYERS + 1];
    size_t total = 0;
    P[0] = e->sizes[0];
    for (int64_t l = 1; l <= L; l++) P[l] = (e->sizes[l] + VL - 1) / VL * VL;
    for (int64_t l = 0; l < L; l++) total += (size_t)(e->sizes[l] + 1) * P[l + 1] * (e->mu > 0 ? 2 : 1);
    for (int64_t l = 1; l <= L; l++) total += 2 * (size_t)m * P[l];
    total += (size_t)m * P[L] + (size_t)m * P[0];
    int64_t MP = (m + VL - 1) / VL * VL, max_n = 1;  /* back-propagation's scratch: two of max_n x MP */
    for (int64_t l = 1; l <= L; l++) max_n = e->sizes[l] > max_n ? e->sizes[l] : max_n;
    total += 2 * (size_t)max_n * MP;
    T *pool = aligned_alloc(64, ((total * sizeof(T) + 63) / 64) * 64 + 64 * (4 * MAX_LAYERS + 4));
    if (!pool) return -1;
    T *next = pool;
#define TAKE(count) (next = (T *)(((uintptr_t)next + 63) & ~(uintptr_t)63), next += (count), next - (count))
    for (int64_t l = 0; l < L; l++) {
        size_t n = (size_t)(e->sizes[l] + 1) * P[l + 1];
        wT[l] = TAKE(n);
        vT[l] = e->mu > 0 ? TAKE(n) : NULL;
        memset(wT[l], 0, n * sizeof(T));
        NAME(transpose)((T *)e->wbs[l], wT[l], e->sizes[l + 1], e->sizes[l], P[l + 1], 0);
        if (vT[l]) {
            memset(vT[l], 0, n * sizeof(T));
            NAME(transpose)((T *)e->vs[l], vT[l], e->sizes[l + 1], e->sizes[l], P[l + 1], 0);
        }
    }
    for (int64_t l = 1; l <= L; l++) acts[l] = TAKE((size_t)m * P[l]);
    for (int64_t l = 0; l <= L; l++) deltas[l] = TAKE((size_t)m * P[l < L ? l + 1 : L]);
    T *a0 = TAKE((size_t)m * P[0]);
    T *scratch = TAKE(2 * (size_t)max_n * MP);
#undef TAKE
    memset(scratch, 0, 2 * (size_t)max_n * MP * sizeof(T));
    for (int64_t l = 1; l <= L; l++) memset(acts[l], 0, (size_t)m * P[l] * sizeof(T));
    for (int64_t l = 0; l <= L; l++) memset(deltas[l], 0, (size_t)m * P[l < L ? l + 1 : L] * sizeof(T));
    const T **x = malloc(2 * (size_t)m * sizeof(T *));
    const char **upcoming = malloc((size_t)m * sizeof(char *));
    if (!x || !upcoming) {
        free(x);
        free(upcoming);
        free(pool);
        return -1;
    }
    size_t row_bytes = (size_t)e->sizes[0] * X_BYTES_PER[e->x_kind == X_SAME ? (sizeof(T) == 4 ? X_FLOAT32 : X_FLOAT64)
                                                                              : e->x_kind];
    for (int64_t s = 0; s < e->n; s += m) {
        int64_t mb = e->n - s < m ? e->n - s : m;
        Ahead ahead = {upcoming, e->order + s + mb, s + mb < e->n ? (e->n - s - mb < m ? e->n - s - mb : m) : 0, row_bytes};
        for (int64_t i = 0; i < ahead.count; i++) upcoming[i] = (const char *)e->X + ahead.order[i] * row_bytes;
        NAME(input_rows)(e, e->order + s, mb, a0, x, mb > DIRECT_ROWS && P[1] > PANEL);
        NAME(step)(e, wT, vT, acts, deltas, P, x, x + m, e->order + s, mb, s == 0, &ahead, scratch, MP, max_n);
    }
    free(x);
    free(upcoming);
    for (int64_t l = 0; l < L; l++) {
        NAME(transpose)((T *)e->wbs[l], wT[l], e->sizes[l + 1], e->sizes[l], P[l + 1], 1);
        if (vT[l]) NAME(transpose)((T *)e->vs[l], vT[l], e->sizes[l + 1], e->sizes[l], P[l + 1], 1);
    }
    free(pool);
    return 0;
}

#undef V
#undef IV
#undef VL
#undef PANEL
#undef FORWARD_MR
#undef FORWARD_MR2
#undef UPDATE_CR
#undef BY_WIDTH
#undef LOADV
#undef STOREV
