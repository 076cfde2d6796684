// Philox4x32-10 draws on the GPU, bit for bit the values `src/tensor/philox.rs` computes on
// the CPU (see that file for the stream layout and the transforms). Every floating-point
// operation is an explicitly rounded intrinsic so that nvcc cannot fuse a multiply and an add.

#define M0 0xD2511F53u
#define M1 0xCD9E8D57u
#define W0 0x9E3779B9u
#define W1 0xBB67AE85u

__device__ __forceinline__ void philox_block(unsigned long long b, unsigned int k0, unsigned int k1,
                                             unsigned int out[4]) {
    unsigned int c0 = (unsigned int)b, c1 = (unsigned int)(b >> 32), c2 = 0u, c3 = 0u;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += W0;
            k1 += W1;
        }
        unsigned int hi0 = __umulhi(M0, c0), lo0 = M0 * c0;
        unsigned int hi1 = __umulhi(M1, c2), lo1 = M1 * c2;
        unsigned int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

#define F(bits) __uint_as_float(bits)
#define ADD __fadd_rn
#define MUL __fmul_rn

__device__ __forceinline__ float ln_unit(float x) {
    unsigned int bits = __float_as_uint(x);
    int e = (int)((bits >> 23) & 0xffu) - 127;
    float m = __uint_as_float((bits & 0x007fffffu) | 0x3f800000u);
    if (m > F(0x3fb504f3u)) {
        m = MUL(m, 0.5f);
        e += 1;
    }
    float s = __fdiv_rn(__fsub_rn(m, 1.0f), ADD(m, 1.0f));
    float z = MUL(s, s);
    float p = MUL(z, ADD(F(0x3eaaaaabu), MUL(z, ADD(F(0x3e4ccccdu), MUL(z, ADD(F(0x3e124925u), MUL(z, F(0x3de38e39u))))))));
    float t = ADD(s, MUL(s, p));
    float ef = (float)e;
    return ADD(MUL(ef, F(0x3f317200u)), ADD(MUL(ef, F(0x35bfbe8eu)), ADD(t, t)));
}

__device__ __forceinline__ void turn(unsigned int k, float* cos_out, float* sin_out) {
    unsigned int quadrant = k >> 22;
    unsigned int frac = k & 0x003fffffu;
    bool folded = frac > 0x00200000u;
    unsigned int g = folded ? 0x00400000u - frac : frac;
    float phi = MUL(MUL((float)g, 1.0f / 4194304.0f), F(0x3fc90fdbu));
    float z = MUL(phi, phi);
    float sn = ADD(phi, MUL(MUL(phi, z), ADD(F(0xbe2aaaabu), MUL(z, ADD(F(0x3c088889u), MUL(z, ADD(F(0xb9500d01u), MUL(z, F(0x3638ef1du)))))))));
    float cs = ADD(1.0f, MUL(z, ADD(F(0xbf000000u), MUL(z, ADD(F(0x3d2aaaabu), MUL(z, ADD(F(0xbab60b61u), MUL(z, ADD(F(0x37d00d01u), MUL(z, F(0xb493f27eu)))))))))));
    float c = folded ? sn : cs;
    float s = folded ? cs : sn;
    switch (quadrant) {
        case 0: *cos_out = c; *sin_out = s; break;
        case 1: *cos_out = -s; *sin_out = c; break;
        case 2: *cos_out = -c; *sin_out = -s; break;
        default: *cos_out = s; *sin_out = -c; break;
    }
}

__device__ __forceinline__ void normal_pair(unsigned int a, unsigned int b, float* z0, float* z1) {
    float u = MUL((float)((a >> 8) + 1u), 1.0f / 16777216.0f);
    float r = __fsqrt_rn(MUL(-2.0f, ln_unit(u)));
    float c, s;
    turn(b >> 8, &c, &s);
    *z0 = MUL(r, c);
    *z1 = MUL(r, s);
}

// out[i] for i < n: value i of the draw starting at block `first_block` of the stream keyed
// by (k0, k1); `normal` selects standard normals (else uniforms on [0, 1)).
extern "C" __global__ void philox_fill_f32(float* out, unsigned long long n, unsigned int k0, unsigned int k1,
                                           unsigned long long first_block, int normal) {
    unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    unsigned long long base = 4ull * i;
    if (base >= n) return;
    unsigned int w[4];
    philox_block(first_block + i, k0, k1, w);
    float v[4];
    if (normal) {
        normal_pair(w[0], w[1], &v[0], &v[1]);
        normal_pair(w[2], w[3], &v[2], &v[3]);
    } else {
        for (int j = 0; j < 4; ++j) v[j] = MUL((float)(w[j] >> 8), 1.0f / 16777216.0f);
    }
    for (int j = 0; j < 4 && base + j < n; ++j) out[base + j] = v[j];
}
