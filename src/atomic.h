/* SPDX-License-Identifier: MIT */
/*
 * atomic.h - the memory orderings the portable core uses on shared memory,
 * in one place (as liburing's barrier.h). Shared words are plain integers
 * in mapped memory that other processes change at any time, so every
 * access to them goes through these macros: never a plain load or store.
 */
#ifndef MMF_ATOMIC_H
#define MMF_ATOMIC_H

/* A load that later loads and stores cannot move before: pairs with
 * mmf__store_release in the writer. */
#define mmf__load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
/* A store that earlier loads and stores cannot move after. */
#define mmf__store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* A single-copy-atomic load or store with no ordering. */
#define mmf__load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define mmf__store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
/* Read-modify-write operations, sequentially consistent. */
#define mmf__fetch_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define mmf__fetch_sub(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)
#define mmf__cas(p, expected, desired)                                         \
    __atomic_compare_exchange_n((p), (expected), (desired), 0,                 \
                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)
/* mmf__fence: a full barrier, which orders an earlier store before a
 * later load (the "publish, then see whether anyone sleeps" pattern needs
 * it on both sides).
 * mmf__fence_release, mmf__fence_acquire: the fences of a seqlock (Boehm,
 * "Can seqlocks get along with programming language memory models?"):
 * the writer's release fence keeps its odd sequence store before the data
 * stores that follow; the reader's acquire fence keeps its data loads
 * before the sequence re-load that follows. */
#if defined(__SANITIZE_THREAD__)
#define MMF__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MMF__TSAN 1
#endif
#endif
#ifdef MMF__TSAN
/* ThreadSanitizer does not model fences (GCC refuses them under
 * -Werror=tsan). A sequentially consistent read-modify-write is a full
 * barrier on every CPU too, and one that it understands. */
static inline void mmf__fence(void)
{
    static int word;
    (void)__atomic_fetch_add(&word, 0, __ATOMIC_SEQ_CST);
}
#define mmf__fence_release() mmf__fence()
#define mmf__fence_acquire() mmf__fence()
#else
#define mmf__fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define mmf__fence_release() __atomic_thread_fence(__ATOMIC_RELEASE)
#define mmf__fence_acquire() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#endif

/* mmf__fence_after_rmw: what an earlier store needs to be ordered before a
 * later load when a sequentially consistent read-modify-write stands
 * between them (Dekker's pattern around a CAS): nothing on x86, where a
 * locked instruction is a full barrier; a full fence elsewhere. */
#if defined(__x86_64__) || defined(__i386__)
#define mmf__fence_after_rmw() __asm__ __volatile__("" ::: "memory")
#else
#define mmf__fence_after_rmw() mmf__fence()
#endif

/* Tell the CPU we are spinning (saves power, yields to the sibling
 * hyperthread). A CPU difference, not an OS one. */
static inline void mmf__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

#endif
