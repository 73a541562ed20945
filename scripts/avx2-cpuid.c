/* LD_PRELOAD library for scripts/int8-study --avx2: this process sees an AVX2-only x86 CPU (no AVX-512,
 * AVX-VNNI or AMX) through CPUID.
 *
 * Linux CPUID faulting (arch_prctl ARCH_SET_CPUID, CPU flag "cpuid_fault") turns every CPUID instruction of the
 * process (threads inherit it) into SIGSEGV; the handler runs the real CPUID, clears the feature bits above and
 * steps over the instruction. Libraries that pick kernels from CPUID at run time (ONNX Runtime's MLAS, PyTorch's
 * cpuinfo, oneDNN, fbgemm) then choose their AVX2 code. glibc's own string functions were chosen earlier, by the
 * dynamic loader, and stay as they are. VIDSTYLE_CPUID_LOG=1 prints how many CPUID calls were rewritten at exit. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define ARCH_SET_CPUID 0x1012

static volatile long calls;

static void allow_cpuid(int on) { syscall(SYS_arch_prctl, ARCH_SET_CPUID, on); }

static void mask(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    if (leaf == 7 && sub == 0) {
        r[1] &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) |
                  (1u << 31));                                           /* AVX512 F DQ IFMA PF ER CD BW VL */
        r[2] &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));  /* VBMI VBMI2 VNNI BITALG VPOPCNTDQ */
        r[3] &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25));
                                                    /* 4VNNIW 4FMAPS VP2INTERSECT AMX-BF16 AVX512-FP16 AMX-TILE AMX-INT8 */
    } else if (leaf == 7 && sub == 1) {
        r[0] &= ~((1u << 4) | (1u << 5) | (1u << 23));                  /* AVX-VNNI, AVX512-BF16, AVX-IFMA */
        r[3] &= ~((1u << 4) | (1u << 5));                               /* AVX-VNNI-INT8, AVX-NE-CONVERT */
    } else if (leaf == 0xD && sub == 0) {
        r[0] &= ~((1u << 5) | (1u << 6) | (1u << 7) | (1u << 17) | (1u << 18));  /* AVX-512 and AMX state */
    }
}

static void on_segv(int sig, siginfo_t *info, void *uc_) {
    ucontext_t *uc = uc_;
    greg_t *g = uc->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)g[REG_RIP];
    if (ip[0] != 0x0F || ip[1] != 0xA2) {  /* a real segfault: die of it with the default action */
        signal(sig, SIG_DFL);
        return;
    }
    uint32_t leaf = (uint32_t)g[REG_RAX], sub = (uint32_t)g[REG_RCX], r[4];
    allow_cpuid(1);
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
    allow_cpuid(0);
    mask(leaf, sub, r);
    g[REG_RAX] = r[0], g[REG_RBX] = r[1], g[REG_RCX] = r[2], g[REG_RDX] = r[3];
    g[REG_RIP] += 2;
    calls++;
    (void)info;
}

static void report(void) {
    if (getenv("VIDSTYLE_CPUID_LOG")) fprintf(stderr, "avx2_cpuid: %ld CPUID calls answered as an AVX2 CPU\n", calls);
}

__attribute__((constructor)) static void start(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
        perror("avx2_cpuid: CPUID faulting is not available here (arch_prctl ARCH_SET_CPUID)");
        exit(3);
    }
    atexit(report);
}
