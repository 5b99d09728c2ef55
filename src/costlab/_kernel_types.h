/* The kernel's body for both number types, at the processor level that _kernel.c has set (ISA, VBYTES, VREGS). */
#define T double
#define NAME(x) CAT(x, ISA, f64)
#define EXP exp
#define ABS fabs
#define TANHF tanh
#include "_kernel_body.h"
#undef T
#undef NAME
#undef EXP
#undef ABS
#undef TANHF
#define T float
#define NAME(x) CAT(x, ISA, f32)
#define EXP expf
#define ABS fabsf
#define TANHF tanhf
#include "_kernel_body.h"
#undef T
#undef NAME
#undef EXP
#undef ABS
#undef TANHF
#undef ISA
#undef VBYTES
#undef VREGS
