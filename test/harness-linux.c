/* SPDX-License-Identifier: MIT */
/* harness-linux.c - the Linux process layer of the test harness (runner.c
 * has main()): helpers, kills, test_sync, the store count, a second user. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* Nothing to set up on Linux. */
void test_os_init(void)
{
}

pid_t test_spawn(const char *helper, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    pid_t pid;
    char pidbuf[32];

    snprintf(pidbuf, sizeof pidbuf, "%ld", test_owner());
    argv[argc++] = (char *)"/proc/self/exe";
    argv[argc++] = (char *)"--helper";
    argv[argc++] = (char *)helper;
    argv[argc++] = (char *)test_case();
    argv[argc++] = pidbuf;
    va_start(ap, helper);
    for (const char *a; argc < 63 && (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) != 0)
        test_fail(__FILE__, __LINE__, "posix_spawn: %s", strerror(errno));
    return pid;
}

int test_wait(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            test_fail(__FILE__, __LINE__, "waitpid: %s", strerror(errno));
    }
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

void test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long long test_cpu_us(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (long long)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000 +
           r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}

uint64_t test_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void test_sync_init(struct test_sync *s)
{
    int fds[2];
    if (pipe(fds) != 0)
        test_fail(__FILE__, __LINE__, "pipe: %s", strerror(errno));
    s->rd = fds[0];
    s->wr = fds[1];
}

void test_sync_signal(int wr_fd)
{
    char c = 1;
    if (write(wr_fd, &c, 1) != 1)
        test_fail(__FILE__, __LINE__, "sync write: %s", strerror(errno));
}

int test_sync_wait(struct test_sync *s, long timeout_ms)
{
    struct pollfd p = {s->rd, POLLIN, 0};
    char c;
    if (poll(&p, 1, (int)timeout_ms) != 1)
        return 0;
    return read(s->rd, &c, 1) == 1;
}

int test_await_fd(int fd, long ms)
{
    struct test_sync s = {fd, -1};
    return test_sync_wait(&s, ms);
}

void test_die_with_parent(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

void test_sweep_dead_dirs(const char *parent, const char *prefix)
{
    DIR *d = opendir(parent);
    size_t plen = strlen(prefix);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char dir[512], *end;
        DIR *sub;
        struct dirent *f;
        long pid;

        if (strncmp(e->d_name, prefix, plen) != 0)
            continue;
        pid = strtol(e->d_name + plen, &end, 10);
        if (end == e->d_name + plen || *end != '-' || pid <= 0 ||
            kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(dir, sizeof dir, "%s/%s", parent, e->d_name);
        if ((sub = opendir(dir)) == NULL)
            continue;
        while ((f = readdir(sub)) != NULL) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
            if (strcmp(f->d_name, ".") != 0 && strcmp(f->d_name, "..") != 0 &&
                unlink(path) != 0)
                rmdir(path);
        }
        closedir(sub);
        rmdir(dir);
    }
    closedir(d);
}

int test_store_count(const char *needle)
{
    const char *dir = getenv("MMF_STORE_DIR");
    DIR *d = opendir(dir && dir[0] == '/' ? dir : "/dev/shm");
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "mmf.", 4) == 0 && strstr(e->d_name, needle) != NULL)
            n++;
    }
    closedir(d);
    return n;
}

int test_claims_count(const char *needle)
{
    const char *dir = getenv("MMF_STORE_DIR");
    DIR *d;
    struct dirent *e;
    int n = 0;

    dir = dir && dir[0] == '/' ? dir : "/dev/shm";
    if ((d = opendir(dir)) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char path[1024], back[512];
        ssize_t len;
        int fd;
        if (strncmp(e->d_name, "mmf.", 4) != 0 || strstr(e->d_name, ".+") == NULL)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            continue;
        len = read(fd, back, sizeof back - 1);
        close(fd);
        back[len > 0 ? len : 0] = '\0';
        n += strstr(back, needle) != NULL;
    }
    closedir(d);
    return n;
}

int test_drop_privileges(void)
{
    if (geteuid() != 0)
        return -1;
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        test_fail(__FILE__, __LINE__, "cannot drop privileges: %s", strerror(errno));
    return 0;
}

void test_kill(pid_t pid)
{
    kill(pid, SIGKILL);
}

int test_await_exit(pid_t pid, long ms)
{
    siginfo_t si;
    uint64_t end = test_now_ns() + (uint64_t)ms * 1000000u;
    for (;;) {
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
            return 1;
        if (test_now_ns() >= end)
            return 0;
        test_sleep_ms(1);
    }
}

int test_under_wine(void)
{
    return 0;
}

void *test_reserve_range(size_t len)
{
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void test_release_range(void *p, size_t len)
{
    munmap(p, len);
}

int test_addr_prot(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "re");
    uintptr_t a = (uintptr_t)p;
    char line[512];
    int prot = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && a >= lo && a < hi) {
            prot = (perms[0] == 'r' ? TEST_PROT_READ : 0) |
                   (perms[1] == 'w' ? TEST_PROT_WRITE : 0) |
                   (perms[2] == 'x' ? TEST_PROT_EXEC : 0) |
                   (perms[3] == 'p' && perms[1] == 'w' ? TEST_PROT_COPY : 0);
            break;
        }
    }
    fclose(f);
    return prot;
}

void *test_anon_map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void test_anon_unmap(void *p, size_t len)
{
    munmap(p, len);
}

long test_resident(const void *addr, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (len + page - 1) / page;
    unsigned char *vec = malloc(n);
    long count = 0;
    if (vec == NULL)
        test_fail(__FILE__, __LINE__, "out of memory");
    if (mincore((void *)addr, len, vec) != 0) {
        free(vec);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        count += vec[i] & 1;
    free(vec);
    return count;
}

int test_open_handles(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

const char *test_tmp_parent(void)
{
    return "/tmp";
}

void *test_map_channel(const char *name, size_t len)
{
    const char *dir = getenv("MMF_STORE_DIR");
    char path[512];
    void *p;
    int fd;

    snprintf(path, sizeof path, "%s/mmf.u%u.%s", dir && dir[0] == '/' ? dir : "/dev/shm",
             (unsigned)geteuid(), name);
    fd = open(path, O_RDWR);
    if (fd < 0)
        test_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        test_fail(__FILE__, __LINE__, "mmap %s: %s", path, strerror(errno));
    close(fd);
    return p;
}

void test_unmap_channel(void *p, size_t len)
{
    if (munmap(p, len) != 0)
        test_fail(__FILE__, __LINE__, "munmap: %s", strerror(errno));
}

size_t test_chan_ctl_off(void)
{
    return 4096; /* the store file's header page */
}

size_t test_chan_area_off(void)
{
    uint64_t g = mmf_allocation_granularity();
    return test_chan_ctl_off() + (size_t)(g > 4096 ? g : 4096);
}
