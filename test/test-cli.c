/* SPDX-License-Identifier: MIT */
/*
 * test-cli.c - the `mmf` command-line tool, end to end: the built binary
 * (build/tools/mmf, found next to this test's build folder) run against
 * objects that test processes create, hold, map and get killed with.
 *
 * Each case uses a private store folder (MMF_STORE_DIR), so `mmf ls` and
 * `mmf gc` see only this case's objects and never touch those of cases
 * running in parallel. Helpers and the tool inherit it. Run as another
 * user, the tool is a copy in a folder under /tmp that anyone may reach,
 * so the cases pass wherever the source tree is (a private home too).
 *
 * The cases that check a handle count exactly are serial (TEST_SERIAL):
 * counts are exact while the whole system holds few locks (KNOWN LIMITS in
 * mmf.h), and a case beside them may hold hundreds.
 */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>

extern char **environ;

/* ------------------------------------------------------------------------ */
/* Running the tool                                                          */
/* ------------------------------------------------------------------------ */

static char store_dir[PATH_MAX];

static void remove_store(void)
{
    if (store_dir[0] != '\0' && rmdir(store_dir) != 0) {
        fprintf(stderr, "FAIL %s: private store %s not empty at exit\n", test_case(),
                store_dir);
        _exit(1);
    }
}

/* A private, empty store for this case, removed at exit (after the
 * harness has checked that no object of the case is left in it). */
static void private_store(void)
{
    snprintf(store_dir, sizeof store_dir, "/dev/shm/mmf-test-%ld-%s.store",
             (long)getpid(), test_case());
    if (mkdir(store_dir, 01777) != 0 || chmod(store_dir, 01777) != 0)
        test_fail(__FILE__, __LINE__, "mkdir %s: %s", store_dir, strerror(errno));
    atexit(remove_store);
    setenv("MMF_STORE_DIR", store_dir, 1);
}

/* The build folder: build/test/test-cli -> build. */
static const char *build_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0] == '\0') {
        ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
        char *slash;
        CHECK(n > 0);
        dir[n] = '\0';
        for (int i = 0; i < 2; i++) {
            slash = strrchr(dir, '/');
            CHECK(slash != NULL);
            *slash = '\0';
        }
    }
    return dir;
}

/* build/tools/mmf */
static const char *mmf_path(void)
{
    static char path[PATH_MAX + 16];
    if (path[0] == '\0') {
        snprintf(path, sizeof path, "%s/tools/mmf", build_dir());
        if (access(path, X_OK) != 0)
            test_fail(__FILE__, __LINE__, "the mmf tool is not built at %s", path);
    }
    return path;
}

/*
 * The tool as uid 65534 can run it: the build folder may be closed to
 * other users (a clone under /root is 0700), so the tool and the library
 * it loads are copied to a fresh folder under /tmp that anyone may read,
 * removed at exit. Returns the folder; the copy is <folder>/mmf.
 */
static char nobody_dir[PATH_MAX];

static void remove_nobody_dir(void)
{
    char path[PATH_MAX + 512];
    DIR *d = opendir(nobody_dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", nobody_dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(path);
    }
    closedir(d);
    rmdir(nobody_dir);
}

static void copy_file(const char *from, const char *dir, const char *name)
{
    char to[PATH_MAX + 64], buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out;
    ssize_t n;

    snprintf(to, sizeof to, "%s/%s", dir, name);
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (in < 0 || out < 0)
        test_fail(__FILE__, __LINE__, "copy %s to %s: %s", from, to, strerror(errno));
    while ((n = read(in, buf, sizeof buf)) > 0)
        CHECK(write(out, buf, (size_t)n) == n);
    CHECK(n == 0);
    CHECK(fchmod(out, 0755) == 0); /* whatever the umask */
    close(in);
    close(out);
}

static const char *tool_for_nobody(void)
{
    char lib[PATH_MAX + 64], soname[64];

    if (nobody_dir[0] != '\0')
        return nobody_dir;
    test_sweep_dead_dirs("/tmp", "mmf-cli-tool-");
    snprintf(nobody_dir, sizeof nobody_dir, "/tmp/mmf-cli-tool-%ld-XXXXXX", (long)getpid());
    if (mkdtemp(nobody_dir) == NULL)
        test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
    atexit(remove_nobody_dir);
    CHECK(chmod(nobody_dir, 0755) == 0);
    copy_file(mmf_path(), nobody_dir, "mmf");
    /* A shared build loads build/libmmf.so.MAJOR. */
    snprintf(soname, sizeof soname, "libmmf.so.%d", MMF_VERSION_MAJOR);
    snprintf(lib, sizeof lib, "%s/%s", build_dir(), soname);
    if (access(lib, R_OK) == 0)
        copy_file(lib, nobody_dir, soname);
    return nobody_dir;
}

struct result {
    int code;
    char *out, *err;  /* NUL-terminated (binary output may hold NULs) */
    size_t outlen, errlen;
};

static char *slurp(int fd, size_t *len)
{
    struct stat st;
    char *buf;
    CHECK(fstat(fd, &st) == 0);
    buf = malloc((size_t)st.st_size + 1);
    CHECK(buf != NULL);
    CHECK(pread(fd, buf, (size_t)st.st_size, 0) == st.st_size);
    buf[st.st_size] = '\0';
    *len = (size_t)st.st_size;
    close(fd);
    return buf;
}

/* How to run a program: stdin from `in`; as uid 65534 when `nobody`;
 * stdout to out_fd instead of memory when >= 0; `prog` instead of the
 * tool when set; killed after timeout_ms when > 0 (code -1). */
struct how {
    const void *in;
    size_t inlen;
    int nobody, out_fd;
    const char *prog;
    long timeout_ms;
};

/* Wait for pid up to timeout_ms (0: forever); -1 if it had to be killed. */
static int wait_or_kill(pid_t pid, long timeout_ms)
{
    uint64_t end = test_now_ns() + (uint64_t)timeout_ms * 1000000u;
    int st;

    if (timeout_ms <= 0)
        return test_wait(pid);
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (test_now_ns() > end) {
            kill(pid, SIGKILL);
            test_wait(pid);
            return -1;
        }
        test_sleep_ms(10);
    }
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Run mmf (or h->prog) with argv (NULL-terminated). Output goes to memory
 * files, so nothing can deadlock. */
static void vrun(struct result *r, const struct how *h, va_list ap)
{
    char *argv[32];
    int argc = 0, fin = memfd_create("in", 0), fout = memfd_create("out", 0),
        ferr = memfd_create("err", 0);
    char tool[PATH_MAX + 8];
    const char *libdir = NULL;
    pid_t pid;

    CHECK(fin >= 0 && fout >= 0 && ferr >= 0);
    if (h->inlen > 0)
        CHECK(pwrite(fin, h->in, h->inlen, 0) == (ssize_t)h->inlen);
    argv[argc++] = (char *)(h->prog ? h->prog : "mmf");
    for (const char *a; argc < 31 && (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    if (h->nobody) {
        snprintf(tool, sizeof tool, "%s/mmf", tool_for_nobody());
        libdir = nobody_dir;
    } else {
        snprintf(tool, sizeof tool, "%s", h->prog ? h->prog : mmf_path());
    }
    fflush(NULL);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fin, 0);
        dup2(h->out_fd >= 0 ? h->out_fd : fout, 1);
        dup2(ferr, 2);
        if (h->nobody && test_drop_privileges() != 0)
            _exit(126);
        /* Ahead of the build folder in the tool's run path. */
        if (libdir != NULL)
            setenv("LD_LIBRARY_PATH", libdir, 1);
        execv(tool, argv);
        _exit(127);
    }
    r->code = wait_or_kill(pid, h->timeout_ms);
    close(fin);
    r->out = slurp(fout, &r->outlen);
    r->err = slurp(ferr, &r->errlen);
}

static struct result run_in(const void *in, size_t inlen, ...)
{
    struct how h = {in, inlen, 0, -1, NULL, 0};
    struct result r;
    va_list ap;
    va_start(ap, inlen);
    vrun(&r, &h, ap);
    va_end(ap);
    return r;
}

#define run(...) run_in(NULL, 0, __VA_ARGS__, (const char *)NULL)
#define run_stdin(in, len, ...) run_in(in, len, __VA_ARGS__, (const char *)NULL)

static struct result run_nobody_(int dummy, ...)
{
    struct how h = {NULL, 0, 1, -1, NULL, 0};
    struct result r;
    va_list ap;
    va_start(ap, dummy);
    vrun(&r, &h, ap);
    va_end(ap);
    return r;
}
#define run_nobody(...) run_nobody_(0, __VA_ARGS__, (const char *)NULL)

/* Run mmf with its stdout on /dev/full: every write to it fails. */
static struct result run_full_(int dummy, ...)
{
    struct how h = {NULL, 0, 0, open("/dev/full", O_WRONLY | O_CLOEXEC), NULL, 0};
    struct result r;
    va_list ap;
    CHECK(h.out_fd >= 0);
    va_start(ap, dummy);
    vrun(&r, &h, ap);
    va_end(ap);
    close(h.out_fd);
    return r;
}
#define run_full(...) run_full_(0, __VA_ARGS__, (const char *)NULL)

/* Run another program of the build (e.g. "examples/ring/ring_consumer"),
 * killed after timeout_ms; skips when it was not built. */
static struct result run_build_prog_(const char *rel, long timeout_ms, ...)
{
    static char path[2 * PATH_MAX];
    struct how h = {NULL, 0, 0, -1, path, timeout_ms};
    struct result r;
    va_list ap;

    snprintf(path, sizeof path, "%s/%s", build_dir(), rel);
    if (access(path, X_OK) != 0)
        SKIP("%s is not built", path);
    va_start(ap, timeout_ms);
    vrun(&r, &h, ap);
    va_end(ap);
    return r;
}
#define run_build_prog(rel, ms, ...) run_build_prog_(rel, ms, __VA_ARGS__, (const char *)NULL)

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

#define CHECK_EXIT(r, want)                                                    \
    do {                                                                       \
        if ((r).code != (want))                                                \
            test_fail(__FILE__, __LINE__, "mmf exited %d, expected %d\n"       \
                      "stdout: %s\nstderr: %s", (r).code, (want), (r).out,    \
                      (r).err);                                                \
    } while (0)

#define CHECK_HAS(text, needle)                                                \
    do {                                                                       \
        if (strstr((text), (needle)) == NULL)                                  \
            test_fail(__FILE__, __LINE__, "\"%s\" not found in:\n%s",         \
                      (needle), (text));                                       \
    } while (0)

#define CHECK_LACKS(text, needle)                                              \
    do {                                                                       \
        if (strstr((text), (needle)) != NULL)                                  \
            test_fail(__FILE__, __LINE__, "\"%s\" unexpectedly in:\n%s",      \
                      (needle), (text));                                       \
    } while (0)

/* "Local\<test name>" as the tool prints it, and as JSON spells it. */
static const char *local(const char *tag)
{
    static char bufs[4][300];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "Local\\%s", test_name(tag));
    return b;
}

static const char *json_name(const char *full)
{
    static char buf[600];
    size_t o = 0;
    o += (size_t)snprintf(buf, sizeof buf, "\"name\":\"");
    for (const char *p = full; *p && o < sizeof buf - 4; p++) {
        if (*p == '\\' || *p == '"')
            buf[o++] = '\\';
        buf[o++] = *p;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* The JSON object of `full` in an `ls --json` output (objects hold no
 * nested objects), or NULL. Static buffer. */
static const char *ls_entry(const char *json, const char *full)
{
    static char buf[8192];
    const char *p = strstr(json, json_name(full)), *end;
    if (p == NULL)
        return NULL;
    end = strchr(p, '}');
    CHECK(end != NULL && (size_t)(end - p) < sizeof buf);
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* A small JSON checker: the whole text must be one valid JSON value.        */
/* ------------------------------------------------------------------------ */

static const char *js;

static void ws(void)
{
    while (*js == ' ' || *js == '\n' || *js == '\t' || *js == '\r')
        js++;
}

static int value(void);

static int string(void)
{
    if (*js++ != '"')
        return 0;
    while (*js != '"') {
        unsigned char ch = (unsigned char)*js;
        if (ch == '\0' || ch < 0x20)
            return 0;
        if (ch == '\\') {
            js++;
            if (*js == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", js[i]) || js[i] == '\0')
                        return 0;
                js += 5;
            } else if (*js != '\0' && strchr("\"\\/bfnrt", *js)) {
                js++;
            } else {
                return 0;
            }
        } else if (ch >= 0x80) {
            /* Well-formed UTF-8 only. */
            int n = ch >= 0xf0 && ch <= 0xf4 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc2 ? 2 : 0;
            if (n == 0 || ch > 0xf4)
                return 0;
            for (int i = 1; i < n; i++)
                if (((unsigned char)js[i] & 0xc0) != 0x80)
                    return 0;
            js += n;
        } else {
            js++;
        }
    }
    js++;
    return 1;
}

static int value(void)
{
    ws();
    if (*js == '{' || *js == '[') {
        char close = *js == '{' ? '}' : ']';
        int obj = *js == '{';
        js++;
        ws();
        if (*js == close) {
            js++;
            return 1;
        }
        for (;;) {
            ws();
            if (obj) {
                if (!string())
                    return 0;
                ws();
                if (*js++ != ':')
                    return 0;
            }
            if (!value())
                return 0;
            ws();
            if (*js == ',') {
                js++;
                continue;
            }
            if (*js++ != close)
                return 0;
            return 1;
        }
    }
    if (*js == '"')
        return string();
    if (strncmp(js, "true", 4) == 0 || strncmp(js, "null", 4) == 0) {
        js += 4;
        return 1;
    }
    if (strncmp(js, "false", 5) == 0) {
        js += 5;
        return 1;
    }
    if (*js == '-' || (*js >= '0' && *js <= '9')) {
        js++;
        while ((*js >= '0' && *js <= '9') || *js == '.' || *js == 'e' || *js == 'E' ||
               *js == '+' || *js == '-')
            js++;
        return 1;
    }
    return 0;
}

static int json_valid(const char *text)
{
    js = text;
    if (!value())
        return 0;
    ws();
    return *js == '\0';
}

#define CHECK_JSON(text)                                                       \
    do {                                                                       \
        if (!json_valid(text))                                                 \
            test_fail(__FILE__, __LINE__, "invalid JSON near offset %ld:\n%s", \
                      (long)(js - (text)), (text));                            \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Helpers (child processes)                                                 */
/* ------------------------------------------------------------------------ */

/* hold NAME SIZE READY-FD MAP: create or open NAME, map a view of the
 * first MAP bytes (0: none), say ready, and wait to be killed. */
HELPER(hold)
{
    mmf_section *s;
    void *p = NULL;
    size_t map = (size_t)atol(argv[3]);
    int rc;
    (void)argc;

    /* Die with the test: a failed case must not leave holders behind. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        return 5;
    rc = mmf_section_create(&s, argv[0], (uint64_t)atol(argv[1]), MMF_OPEN_OR_CREATE, NULL);
    if (rc < 0)
        return 3;
    if (map > 0 && mmf_view_map(s, MMF_MAP_WRITE, 0, map, 0, &p) < 0)
        return 4;
    test_sync_signal(atoi(argv[2]));
    for (;;)
        pause();
}

/* Start a holder and wait until it holds NAME. */
static pid_t hold(const char *name, const char *size, const char *map)
{
    struct test_sync sy;
    char fd[16];
    pid_t pid;

    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    pid = test_spawn("hold", name, size, fd, map, NULL);
    if (!test_sync_wait(&sy, 10000))
        test_fail(__FILE__, __LINE__, "holder of %s did not start", name);
    close(sy.rd);
    close(sy.wr);
    return pid;
}

static void kill_wait(pid_t pid)
{
    kill(pid, SIGKILL);
    test_wait(pid);
}

/* ------------------------------------------------------------------------ */
/* ls, stat, gc                                                              */
/* ------------------------------------------------------------------------ */

TEST_SERIAL(ls_counts_holders_and_marks_stale)
{
    struct result r;
    const char *e;
    pid_t a, b;

    private_store();
    r = run("ls");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "No objects");
    result_free(&r);

    a = hold(test_name("s"), "65536", "0");
    b = hold(test_name("s"), "65536", "8192");
    r = run("ls", "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK((e = ls_entry(r.out, local("s"))) != NULL);
    CHECK_HAS(e, "\"type\":\"section\"");
    CHECK_HAS(e, "\"size\":65536");
    CHECK_HAS(e, "\"handles\":2,");
    CHECK_HAS(e, "\"processes\":2,");
    CHECK_HAS(e, "\"mappers\":1,");
    CHECK_HAS(e, "\"hidden_handles\":0,");
    CHECK_HAS(e, "\"stale\":false");
    CHECK_HAS(e, "\"mode\":\"0600\"");
    result_free(&r);

    /* Right after a holder is killed, it is no longer counted. */
    kill_wait(b);
    r = run("ls", "--json");
    CHECK((e = ls_entry(r.out, local("s"))) != NULL);
    CHECK_HAS(e, "\"handles\":1,");
    CHECK_HAS(e, "\"processes\":1,");
    CHECK_HAS(e, "\"mappers\":0,");
    CHECK_HAS(e, "\"state\":\"live\"");
    result_free(&r);

    /* All holders killed: stale, still in the store, shown as such. */
    kill_wait(a);
    CHECK_EQ(test_store_count(test_name("s")), 1);
    r = run("ls", "--json");
    CHECK((e = ls_entry(r.out, local("s"))) != NULL);
    CHECK_HAS(e, "\"handles\":0,");
    CHECK_HAS(e, "\"stale\":true");
    CHECK_HAS(e, "\"state\":\"stale\"");
    result_free(&r);
    r = run("ls");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, local("s"));
    CHECK_HAS(r.out, "stale");
    CHECK_HAS(r.out, "64.0 KiB");
    result_free(&r);

    /* gc removes it and says so; a second gc finds nothing. */
    r = run("gc");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "removed ");
    CHECK_HAS(r.out, local("s"));
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("s")), 0);
    r = run("gc");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "nothing to reclaim");
    result_free(&r);
}

/* ls --names: the names alone, one a line, sorted, with their prefix. */
TEST(ls_names_lists_names_alone)
{
    char global[128], want[512];
    struct result r;
    pid_t a, g;

    private_store();
    r = run("ls", "--names");
    CHECK_EXIT(r, 0);
    CHECK_EQ(r.outlen, 0);
    result_free(&r);

    snprintf(global, sizeof global, "Global\\%s", test_name("g"));
    a = hold(test_name("a"), "4096", "0");
    g = hold(global, "4096", "0");
    r = run("ls", "--names");
    CHECK_EXIT(r, 0);
    snprintf(want, sizeof want, "%s\n%s\n", global, local("a"));
    CHECK(strcmp(r.out, want) == 0);
    result_free(&r);

    r = run("ls", "--names", "--json");
    CHECK_EXIT(r, 2);
    result_free(&r);

    /* Stale names are listed too: `mmf rm` takes them. */
    kill_wait(a);
    r = run("ls", "--names");
    CHECK_HAS(r.out, local("a"));
    result_free(&r);
    r = run("gc");
    CHECK_EXIT(r, 0);
    result_free(&r);
    kill_wait(g);
    r = run("gc");
    CHECK_EXIT(r, 0);
    result_free(&r);
}

TEST(gc_leaves_live_objects)
{
    struct result r;
    pid_t live, dead;

    private_store();
    live = hold(test_name("live"), "4096", "0");
    dead = hold(test_name("dead"), "4096", "4096");
    kill_wait(dead);
    r = run("gc");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, local("dead"));
    CHECK_LACKS(r.out, local("live"));
    CHECK_HAS(r.out, "reclaimed 1 object");
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("live")), 1);
    CHECK_EQ(test_store_count(test_name("dead")), 0);
    kill_wait(live);
    r = run("rm", test_name("live"));
    CHECK_EXIT(r, 0);
    result_free(&r);
}

TEST_SERIAL(stat_shows_holders_and_views)
{
    struct result r;
    char pid_key[64];
    pid_t a;

    private_store();
    a = hold(test_name("s"), "1048576", "131072");
    r = run("stat", test_name("s"), "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_HAS(r.out, json_name(local("s")));
    CHECK_HAS(r.out, "\"size\":1048576");
    CHECK_HAS(r.out, "\"prot\":\"rw\"");
    snprintf(pid_key, sizeof pid_key, "{\"pid\":%ld,", (long)a);
    CHECK_HAS(r.out, pid_key);
    CHECK_HAS(r.out, "\"handles\":1,\"views\":[{\"offset\":0,\"length\":131072,"
                     "\"access\":\"rw\"}]");
    CHECK_HAS(r.out, "\"version\":2");
    result_free(&r);

    r = run("stat", local("s"));
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "section");
    CHECK_HAS(r.out, "1.0 MiB (1048576 bytes)");
    CHECK_HAS(r.out, "live: 1 handle in 1 process");
    CHECK_HAS(r.out, "[0x0, +128.0 KiB) rw");
    result_free(&r);

    r = run("stat", test_name("missing"));
    CHECK_EXIT(r, 1);
    CHECK_HAS(r.err, "mmf: stat ");
    CHECK_HAS(r.err, "no such object or file");
    result_free(&r);
    kill_wait(a);
    r = run("rm", test_name("s"));
    CHECK_EXIT(r, 0);
    result_free(&r);
}

TEST_SERIAL(stat_shows_a_channel)
{
    mmf_ring *prod, *cons;
    mmf_msg m;
    struct result r;
    char msg[100] = {0};

    private_store();
    CHECK_RC(mmf_ring_create(&prod, test_name("r"), 65536, MMF_ROLE_PRODUCER,
                             MMF_CREATE_NEW, NULL), 0);
    CHECK_RC(mmf_ring_open(&cons, test_name("r"), MMF_ROLE_CONSUMER, NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_ring_send(prod, msg, sizeof msg, 0));
    /* One message peeked and released: two records of 8 + 104 bytes stay. */
    CHECK_OK(mmf_ring_peek(cons, &m, 0));
    CHECK_OK(mmf_ring_release(cons, 1));

    r = run("stat", test_name("r"), "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_HAS(r.out, "\"type\":\"channel\"");
    /* One reference for the process; the endpoints' claims are not handles. */
    CHECK_HAS(r.out, "\"handles\":1,");
    CHECK_HAS(r.out, "\"command\":\"test-cli\",\"handles\":1,");
    CHECK_HAS(r.out, "\"kind\":\"ring\",\"persistent\":false,\"corrupt\":false,"
                     "\"capacity\":65536,\"max_message\":65520,\"produced\":336,"
                     "\"consumed\":112,\"fill\":224,\"producers\":1,\"consumers\":1,"
                     "\"producers_ever\":1,\"consumers_ever\":1");
    result_free(&r);

    /* The consumer goes: the listing says so, and nothing changed. */
    CHECK_OK(mmf_ring_close(cons));
    r = run("stat", local("r"));
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "channel     ring");
    CHECK_HAS(r.out, "fill        224 B of 64.0 KiB");
    CHECK_HAS(r.out, "producers   1 attached (1 ever)");
    CHECK_HAS(r.out, "consumers   0 attached (1 ever)");
    result_free(&r);

    r = run("stat", test_name("r"), "--json");
    CHECK_HAS(r.out, "\"fill\":224");
    result_free(&r);
    CHECK_OK(mmf_ring_close(prod));
}

TEST_SLOW(bench_runs_every_row)
{
    struct result r;

    private_store();
    r = run("bench", "--quick", "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_LACKS(r.out, "\"error\":\"");
    CHECK_HAS(r.out, "{\"test\":\"ring 64 B latency, busy-poll\",\"error\":null,\"p50_ns\":");
    CHECK_HAS(r.out, "{\"test\":\"broadcast 64 B throughput\",\"error\":null,");
    result_free(&r);
    CHECK_EQ(test_store_count("mmf-bench."), 0);
}

TEST(look_does_not_revive_or_keep_alive)
{
    mmf_section *s;
    struct result r;
    pid_t a;

    private_store();
    /* Stale: ls, stat, cat and dump leave it exactly as it is. */
    a = hold(test_name("stale"), "4096", "4096");
    kill_wait(a);
    for (int i = 0; i < 2; i++) {
        r = run("ls");
        CHECK_EXIT(r, 0);
        result_free(&r);
        r = run("stat", test_name("stale"));
        CHECK_EXIT(r, 0);
        CHECK_HAS(r.out, "stale");
        result_free(&r);
        r = run("cat", test_name("stale"));
        CHECK_EXIT(r, 1);
        CHECK_HAS(r.err, "gc");
        result_free(&r);
        r = run("dump", test_name("stale"));
        CHECK_EXIT(r, 1);
        result_free(&r);
        CHECK_EQ(test_store_count(test_name("stale")), 1);
    }
    r = run("ls", "--json");
    CHECK_HAS(ls_entry(r.out, local("stale")), "\"stale\":true");
    result_free(&r);
    r = run("rm", test_name("stale"));
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "removed");
    result_free(&r);

    /* Live: after ls and stat, closing our only handle still removes the
     * name at once (they kept nothing open). */
    CHECK_OK(mmf_section_create(&s, test_name("live"), 4096, MMF_CREATE_NEW, NULL));
    r = run("ls");
    CHECK_HAS(r.out, local("live"));
    result_free(&r);
    r = run("stat", test_name("live"));
    CHECK_EXIT(r, 0);
    result_free(&r);
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("live")), 0);
    CHECK_RC(mmf_section_open(&s, test_name("live"), MMF_ACCESS_READ), MMF_ENOENT);
}

TEST(reading_commits_nothing)
{
    mmf_section_opts sparse = {.flags = MMF_SECTION_RESERVE};
    mmf_section *s;
    struct result r;

    private_store();
    CHECK_OK(mmf_section_create(&s, test_name("s"), 1 << 20, MMF_CREATE_NEW, &sparse));
    r = run("stat", test_name("s"), "--json");
    CHECK_HAS(r.out, "\"allocated\":0,");
    CHECK_HAS(r.out, "\"flags\":[\"reserve\"]");
    result_free(&r);
    r = run("cat", test_name("s"));
    CHECK_EXIT(r, 0);
    CHECK_EQ(r.outlen, 1 << 20);
    result_free(&r);
    r = run("dump", test_name("s"));
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "*\n00100000\n");
    result_free(&r);
    /* Holes read as zeros; nothing was committed by reading. */
    r = run("stat", test_name("s"), "--json");
    CHECK_HAS(r.out, "\"allocated\":0,");
    CHECK_HAS(r.out, "\"resident\":0,");
    result_free(&r);
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* rm, create                                                                */
/* ------------------------------------------------------------------------ */

TEST(rm_refuses_while_held)
{
    struct result r;
    pid_t a;
    char pid[32];

    private_store();
    a = hold(test_name("s"), "4096", "0");
    r = run("rm", test_name("s"));
    CHECK_EXIT(r, 4);
    CHECK_HAS(r.err, local("s"));
    CHECK_HAS(r.err, "1 handle is open");
    snprintf(pid, sizeof pid, "pid %ld", (long)a);
    CHECK_HAS(r.err, pid);
    CHECK_HAS(r.err, "last handle closes");
    CHECK(strchr(r.err, '\n') == r.err + r.errlen - 1); /* one line */
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("s")), 1);
    kill_wait(a);
    r = run("rm", local("s"));
    CHECK_EXIT(r, 0);
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("s")), 0);
    r = run("rm", local("s"));
    CHECK_EXIT(r, 1);
    result_free(&r);
}

/* The pid that `create --detach` prints: one line, a number, nothing
 * else, so that pid=$(mmf create ... --detach) works. */
static pid_t holder_pid(const char *out)
{
    size_t digits = strspn(out, "0123456789");
    if (digits == 0 || strcmp(out + digits, "\n") != 0)
        test_fail(__FILE__, __LINE__, "not a pid alone on a line: \"%s\"", out);
    return (pid_t)atol(out);
}

/* Wait (up to 5 s) until NAME can no longer be opened. */
static void wait_gone(const char *name)
{
    for (int i = 0; i < 500; i++) {
        mmf_section *s;
        int rc = mmf_section_open(&s, name, MMF_ACCESS_READ);
        if (rc == MMF_ENOENT)
            return;
        if (rc == 0)
            mmf_section_close(s);
        test_sleep_ms(10);
    }
    test_fail(__FILE__, __LINE__, "%s still exists", name);
}

TEST_SERIAL(create_detached_with_mode)
{
    struct result r;
    mmf_section *s;
    mmf_section_info si;
    pid_t pid;

    private_store();
    r = run("create", test_name("s"), "--size", "10000", "--mode", "0640", "--detach");
    CHECK_EXIT(r, 0);
    pid = holder_pid(r.out);
    /* What was made, for people, on stderr. */
    CHECK_HAS(r.err, local("s"));
    CHECK_HAS(r.err, "held by pid ");
    result_free(&r);

    CHECK_OK(mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_stat(s, &si));
    CHECK_EQ(si.size, 12288); /* rounded up to a page */
    CHECK_OK(mmf_section_close(s));
    r = run("stat", test_name("s"), "--json");
    CHECK_HAS(r.out, "\"mode\":\"0640\"");
    CHECK_HAS(r.out, "\"handles\":1,");
    result_free(&r);

    /* The name exists: creating it again fails with 7. */
    r = run("create", test_name("s"), "--size", "4096", "--detach");
    CHECK_EXIT(r, 7);
    CHECK_HAS(r.err, "already exists");
    result_free(&r);

    /* Stopping the holder closes the handle: the name goes. */
    CHECK(kill(pid, SIGTERM) == 0);
    wait_gone(test_name("s"));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}

TEST(create_holds_in_foreground)
{
    int out[2];
    pid_t pid;
    char buf[512] = "";
    ssize_t n = 0;
    struct pollfd p;
    mmf_section *s;

    private_store();
    CHECK(pipe(out) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        execl(mmf_path(), "mmf", "create", test_name("s"), "--size", "1M", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    p = (struct pollfd){out[0], POLLIN, 0};
    CHECK(poll(&p, 1, 10000) == 1);
    n = read(out[0], buf, sizeof buf - 1);
    CHECK(n > 0);
    buf[n] = '\0';
    CHECK_HAS(buf, "holding it until interrupted");
    CHECK_OK(mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(s));
    CHECK(kill(pid, SIGINT) == 0);
    CHECK_EQ(test_wait(pid), 0);
    close(out[0]);
    CHECK_RC(mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ), MMF_ENOENT);
}

TEST(file_backed_section)
{
    char path[PATH_MAX], buf[16] = "";
    struct result r;
    pid_t pid;
    int fd;

    private_store();
    snprintf(path, sizeof path, "/tmp/mmf-test-%ld-file", (long)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    r = run("create", test_name("f"), "--size", "8192", "--file", path, "--detach");
    CHECK_EXIT(r, 0);
    pid = holder_pid(r.out);
    result_free(&r);
    r = run_stdin("file data", 9, "write", test_name("f"), "--offset", "4096");
    CHECK_EXIT(r, 0);
    result_free(&r);
    CHECK(pread(fd, buf, 9, 4096) == 9);
    CHECK(memcmp(buf, "file data", 9) == 0);
    r = run("stat", test_name("f"), "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_HAS(r.out, "\"file_backed\":true");
    CHECK_HAS(r.out, path);
    CHECK_HAS(r.out, "\"dirty\":"); /* a number, or null before Linux 6.5 */
    result_free(&r);
    r = run("stat", test_name("f"));
    CHECK_HAS(r.out, "backing     file ");
    CHECK_HAS(r.out, "dirty");
    result_free(&r);
    r = run("create", test_name("g"), "--file", "/nonexistent/file", "--size", "4096");
    CHECK_EXIT(r, 1);
    CHECK_HAS(r.err, "/nonexistent/file");
    result_free(&r);
    /* What is missing is named: the folder, or the file in it. */
    r = run("create", test_name("g"), "--file", "/nonexistent/file", "--size", "4K");
    CHECK_EXIT(r, 1);
    CHECK_HAS(r.err, "the directory /nonexistent does not exist");
    CHECK_LACKS(r.err, "no object with that name");
    result_free(&r);
    {
        char missing[PATH_MAX + 16];
        snprintf(missing, sizeof missing, "%s.missing", path);
        r = run("create", test_name("g"), "--file", missing, "--size", "4K");
        CHECK_EXIT(r, 1);
        CHECK_HAS(r.err, "the file ");
        CHECK_HAS(r.err, missing);
        CHECK_HAS(r.err, "does not exist");
        CHECK_LACKS(r.err, "no object with that name");
        result_free(&r);
    }
    CHECK_EQ(test_store_count(test_name("g")), 0);
    kill(pid, SIGTERM);
    wait_gone(test_name("f"));
    close(fd);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* cat, write, dump, watch                                                   */
/* ------------------------------------------------------------------------ */

TEST(cat_write_round_trip)
{
    unsigned char data[256], *view = NULL;
    mmf_section *s;
    struct result r;

    private_store();
    for (int i = 0; i < 256; i++)
        data[i] = (unsigned char)i;
    CHECK_OK(mmf_section_create(&s, test_name("s"), 3 * 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&view));

    r = run_stdin(data, sizeof data, "write", test_name("s"), "--offset", "4000");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "wrote 256 bytes");
    result_free(&r);
    CHECK(memcmp(view + 4000, data, sizeof data) == 0); /* across a page */

    r = run("cat", test_name("s"), "--offset", "4000", "--length", "256");
    CHECK_EXIT(r, 0);
    CHECK_EQ(r.outlen, 256);
    CHECK(memcmp(r.out, data, 256) == 0);
    result_free(&r);
    r = run("cat", local("s"), "--offset=0x0fa0", "--length=16");
    CHECK_EXIT(r, 0);
    CHECK_EQ(r.outlen, 16);
    CHECK(memcmp(r.out, data, 16) == 0);
    result_free(&r);
    r = run("cat", test_name("s"));
    CHECK_EXIT(r, 0);
    CHECK_EQ(r.outlen, 3 * 4096);
    CHECK(memcmp(r.out + 4000, data, 256) == 0);
    result_free(&r);

    /* Too long for the rest of the section: nothing written, exit 2. */
    r = run_stdin(data, sizeof data, "write", test_name("s"), "--offset", "12200");
    CHECK_EXIT(r, 2);
    CHECK_HAS(r.err, "nothing was written");
    result_free(&r);
    CHECK(view[12200] == 0);
    r = run("cat", test_name("s"), "--offset", "12289");
    CHECK_EXIT(r, 2);
    result_free(&r);
    r = run("cat", test_name("s"), "--offset", "12000", "--length", "1000");
    CHECK_EXIT(r, 2);
    result_free(&r);
    r = run("cat", test_name("s"), "--offset", "12288");
    CHECK_EXIT(r, 0);
    CHECK_EQ(r.outlen, 0);
    result_free(&r);

    /* Never creates: writing to a missing name is "not found". */
    r = run_stdin("x", 1, "write", test_name("missing"));
    CHECK_EXIT(r, 1);
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("missing")), 0);
    CHECK_OK(mmf_view_unmap(view));
    CHECK_OK(mmf_section_close(s));
}

TEST(dump_format)
{
    mmf_section *s;
    struct result r;

    private_store();
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    r = run_stdin("Hello, mmf!\n", 12, "write", test_name("s"), "--offset", "2");
    CHECK_EXIT(r, 0);
    result_free(&r);
    r = run("dump", test_name("s"), "--length", "64");
    CHECK_EXIT(r, 0);
    CHECK(strcmp(r.out,
                 "00000000  00 00 48 65 6c 6c 6f 2c  20 6d 6d 66 21 0a 00 00  |..Hello, mmf!...|\n"
                 "00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
                 "*\n"
                 "00000040\n") == 0);
    result_free(&r);
    r = run("dump", test_name("s"), "--offset", "4", "--length", "5");
    CHECK_EXIT(r, 0);
    CHECK(strcmp(r.out, "00000004  6c 6c 6f 2c 20                                    |llo, |\n"
                        "00000009\n") == 0);
    result_free(&r);
    CHECK_OK(mmf_section_close(s));
}

TEST(watch_prints_changes)
{
    mmf_section *s;
    char *view = NULL, buf[4096] = "";
    int out[2], err[2];
    size_t got = 0;
    pid_t pid;

    private_store();
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&view));
    CHECK(pipe(out) == 0 && pipe(err) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        execl(mmf_path(), "mmf", "watch", test_name("s"), "--interval", "10", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    /* "watching ..." comes once it has its first copy. */
    {
        struct pollfd p = {err[0], POLLIN, 0};
        CHECK(poll(&p, 1, 10000) == 1);
        CHECK(read(err[0], buf, sizeof buf - 1) > 0);
        CHECK_HAS(buf, "watching");
        memset(buf, 0, sizeof buf);
    }
    memcpy(view + 100, "abc", 3);
    for (uint64_t end = test_now_ns() + 10000000000ull; test_now_ns() < end;) {
        struct pollfd p = {out[0], POLLIN, 0};
        ssize_t n;
        if (poll(&p, 1, 100) == 1 && (n = read(out[0], buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)n;
        buf[got] = '\0';
        if (strchr(buf, '\n') != NULL)
            break;
    }
    CHECK_HAS(buf, "0x00000064");
    CHECK_HAS(buf, "3 bytes");
    CHECK_HAS(buf, "61 62 63");
    CHECK_HAS(buf, "|abc|");
    /* watch holds no handle: closing ours removes the name, and watch
     * notices and ends by itself. */
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_EQ(test_wait(pid), 0);
    close(out[0]);
    close(err[0]);
    CHECK_OK(mmf_view_unmap(view));
}

TEST(watch_stops_on_sigint)
{
    mmf_section *s;
    struct pollfd p;
    int err[2];
    pid_t pid;

    private_store();
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK(pipe(err) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(err[1], 2);
        execl(mmf_path(), "mmf", "watch", test_name("s"), (char *)NULL);
        _exit(127);
    }
    close(err[1]);
    p = (struct pollfd){err[0], POLLIN, 0};
    CHECK(poll(&p, 1, 10000) == 1); /* "watching ...": it is ready */
    CHECK(kill(pid, SIGINT) == 0);
    CHECK_EQ(test_wait(pid), 0);
    close(err[0]);
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Permissions                                                               */
/* ------------------------------------------------------------------------ */

TEST_SERIAL(other_user_cannot_read_owner_only)
{
    char name[300], open_name[300];
    mmf_section *owner_only, *shared;
    mmf_section_opts o644 = {.flags = MMF_GLOBAL, .mode = 0644};
    char *view = NULL;
    struct result r;
    const char *e;

    if (geteuid() != 0)
        SKIP("needs root to run the tool as a second user");
    r = run_nobody("--version");
    CHECK_EXIT(r, 0);
    result_free(&r);
    private_store();
    snprintf(name, sizeof name, "Global\\%s", test_name("private"));
    snprintf(open_name, sizeof open_name, "Global\\%s", test_name("open"));
    CHECK_OK(mmf_section_create(&owner_only, name, 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_create(&shared, open_name, 4096, MMF_CREATE_NEW, &o644));
    CHECK_OK(mmf_view_map(shared, MMF_MAP_WRITE, 0, 0, 0, (void **)&view));
    strcpy(view, "visible");

    r = run_nobody("cat", name);
    CHECK_EXIT(r, 3);
    CHECK_HAS(r.err, "access denied");
    CHECK_HAS(r.err, name);
    result_free(&r);
    r = run_nobody("dump", name);
    CHECK_EXIT(r, 3);
    result_free(&r);
    r = run_nobody("write", name);
    CHECK_EXIT(r, 3);
    result_free(&r);
    r = run_nobody("cat", open_name, "--length", "7");
    CHECK_EXIT(r, 0);
    CHECK(strcmp(r.out, "visible") == 0);
    result_free(&r);
    /* Readable but not writable by others: write is refused. */
    r = run_nobody("write", open_name);
    CHECK_EXIT(r, 3);
    result_free(&r);
    /* Listing shows the other user's object without its header. */
    r = run_nobody("ls", "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK((e = ls_entry(r.out, name)) != NULL);
    CHECK_HAS(e, "\"readable\":false");
    CHECK_HAS(e, "\"uid\":0,");
    CHECK_HAS(e, "\"handles\":1,");
    CHECK_HAS(e, "\"hidden_handles\":1,"); /* root's process: not inspectable */
    CHECK_HAS(e, "\"stale\":false");
    result_free(&r);
    r = run_nobody("rm", name);
    CHECK(r.code == 3 || r.code == 4);
    result_free(&r);
    CHECK_OK(mmf_view_unmap(view));
    CHECK_OK(mmf_section_close(owner_only));
    CHECK_OK(mmf_section_close(shared));
}

/* ------------------------------------------------------------------------ */
/* Bad input                                                                 */
/* ------------------------------------------------------------------------ */

TEST(bad_input_exit_codes)
{
    static const char *bad_sizes[] = {"abc", "-1", "1e99", "18446744073709551616",
                                      "99999999999999999999999", "16777216T", "1.5",
                                      "", " 1", "1 ", "0x", "12Q", "0"};
    struct result r;

    private_store();
    r = run("frobnicate");
    CHECK_EXIT(r, 2);
    CHECK_HAS(r.err, "mmf: unknown command 'frobnicate'");
    result_free(&r);
    r = run("ls", "--bogus");
    CHECK_EXIT(r, 2);
    CHECK_HAS(r.err, "unknown option");
    result_free(&r);
    r = run("cat");
    CHECK_EXIT(r, 2);
    result_free(&r);
    r = run("stat", "a", "b");
    CHECK_EXIT(r, 2);
    result_free(&r);
    r = run("create", test_name("s"));
    CHECK_EXIT(r, 2);
    result_free(&r);
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        r = run("create", test_name("s"), "--size", bad_sizes[i], "--detach");
        if (r.code != 2)
            test_fail(__FILE__, __LINE__, "--size '%s' exited %d", bad_sizes[i], r.code);
        /* One line, naming the object. */
        CHECK_HAS(r.err, local("s"));
        CHECK(strchr(r.err, '\n') == r.err + r.errlen - 1);
        result_free(&r);
        r = run("cat", test_name("s"), "--offset", bad_sizes[i]);
        if (r.code != 2 && strcmp(bad_sizes[i], "0") != 0)
            test_fail(__FILE__, __LINE__, "--offset '%s' exited %d", bad_sizes[i], r.code);
        result_free(&r);
    }
    CHECK_EQ(test_store_count(test_name("s")), 0);
    r = run("create", test_name("s"), "--size", "4096", "--mode", "999");
    CHECK_EXIT(r, 2);
    result_free(&r);
    r = run("create", test_name("s"), "--size", "4096", "--mode", "01777");
    CHECK_EXIT(r, 2);
    result_free(&r);
    /* Larger than anything can hold: a clear error, not a crash. */
    r = run("create", test_name("s"), "--size", "8E", "--detach");
    CHECK_EXIT(r, 2);
    CHECK_HAS(r.err, "mmf: create");
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("s")), 0);

    r = run("bench", "--seconds", "3");
    CHECK_EXIT(r, 2);
    result_free(&r);
}

TEST(hostile_names_stay_in_the_store)
{
    static const char *paths[] = {"../../etc/passwd", "/etc/passwd", "Local\\../../etc/passwd",
                                  "Global\\..", ".", "..", "mmf.u0.x"};
    static const char *invalid[] = {"Local\\", "Global\\", "Local\\a\\b", "Session\\1\\x",
                                    "\xff\xfe", "Local\\\xc0\xaf"};
    char longname[MMF_NAME_MAX + 2];
    struct result r;

    private_store();
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const char *cmds[] = {"cat", "dump", "stat", "rm", "write"};
        for (size_t c = 0; c < 5; c++) {
            r = run(cmds[c], paths[i]);
            if (r.code != 1 || r.outlen != 0)
                test_fail(__FILE__, __LINE__, "%s '%s' exited %d: %s%s", cmds[c], paths[i],
                          r.code, r.out, r.err);
            result_free(&r);
        }
    }
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        r = run("cat", invalid[i]);
        if (r.code != 2)
            test_fail(__FILE__, __LINE__, "cat '%s' exited %d: %s", invalid[i], r.code, r.err);
        CHECK_LACKS(r.err, "\xff"); /* shown escaped */
        result_free(&r);
    }
    r = run("cat", "");
    CHECK_EXIT(r, 2);
    result_free(&r);
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    r = run("stat", longname);
    CHECK_EXIT(r, 2);
    CHECK_HAS(r.err, "name too long");
    result_free(&r);
}

TEST(corrupt_entries_are_shown_and_collected)
{
    char junk[PATH_MAX + 512], link[PATH_MAX + 512], victim[PATH_MAX];
    struct result r;
    int fd;

    private_store();
    /* Entries that are not mmf objects: garbage, and a symbolic link to a
     * file outside the store. Neither may be followed or trusted. */
    snprintf(junk, sizeof junk, "%s/mmf.u%u.%s", store_dir, (unsigned)geteuid(),
             test_name("junk"));
    snprintf(link, sizeof link, "%s/mmf.u%u.%s", store_dir, (unsigned)geteuid(),
             test_name("link"));
    snprintf(victim, sizeof victim, "/tmp/mmf-test-%ld-victim", (long)getpid());
    fd = open(junk, O_WRONLY | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, "not an mmf object, not at all", 29) == 29);
    close(fd);
    fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, "secret", 6) == 6);
    close(fd);
    CHECK(symlink(victim, link) == 0);

    r = run("ls", "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_HAS(ls_entry(r.out, local("junk")), "\"state\":\"corrupt\"");
    CHECK_HAS(ls_entry(r.out, local("link")), "\"state\":\"corrupt\"");
    result_free(&r);
    r = run("cat", test_name("link"));
    CHECK_EXIT(r, 6);
    CHECK_LACKS(r.out, "secret");
    result_free(&r);
    r = run("stat", test_name("junk"));
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "corrupt");
    result_free(&r);
    r = run("gc");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, local("junk"));
    CHECK_HAS(r.out, local("link"));
    result_free(&r);
    CHECK(access(junk, F_OK) != 0);
    CHECK(access(link, F_OK) != 0 && errno == ENOENT);
    CHECK(access(victim, F_OK) == 0); /* the link went, not its target */
    unlink(victim);
}

TEST(json_escapes_hostile_names)
{
    const char *tags[] = {"q\"uo'te", "ctl\x01\x1b[31m\n\t", "pct%41/..%2F", "utf8-\xc3\xa9\xe2\x82\xac"};
    mmf_section *s[4];
    struct result r;

    private_store();
    for (int i = 0; i < 4; i++)
        CHECK_OK(mmf_section_create(&s[i], test_name(tags[i]), 4096, MMF_CREATE_NEW, NULL));
    r = run("ls", "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_HAS(r.out, "-q\\\"uo'te\"");
    CHECK_HAS(r.out, "-ctl\\u0001\\u001b[31m\\u000a\\u0009\"");
    CHECK_HAS(r.out, "-pct%41/..%2F\"");
    CHECK_HAS(r.out, "-utf8-\xc3\xa9\xe2\x82\xac\"");
    result_free(&r);
    r = run("stat", test_name(tags[1]), "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    result_free(&r);
    /* On a terminal or not, control characters are never printed raw. */
    r = run("ls");
    CHECK_EXIT(r, 0);
    CHECK_LACKS(r.out, "\x1b");
    CHECK_LACKS(r.out, "\x01");
    CHECK_HAS(r.out, "ctl\\x01\\x1b[31m\\x0a\\x09");
    result_free(&r);
    r = run("stat", test_name(tags[1]));
    CHECK_LACKS(r.out, "\x1b");
    result_free(&r);
    for (int i = 0; i < 4; i++)
        CHECK_OK(mmf_section_close(s[i]));
}

TEST(long_names_are_listed_in_full)
{
    char tag[700], name[1000];
    mmf_section *s;
    struct result r;

    private_store();
    /* Multibyte characters: too long for a file name, so the store keeps
     * a hash; the tool shows the real name from the header. */
    tag[0] = '\0';
    for (int i = 0; i < 200; i++)
        strcat(tag, "\xc3\xa9");
    snprintf(name, sizeof name, "%s%s", test_name(""), tag);
    CHECK_OK(mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, NULL));
    r = run("ls", "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_HAS(r.out, tag);
    result_free(&r);
    r = run("stat", name);
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, tag);  /* the real name, from the header */
    result_free(&r);
    r = run_stdin("long", 4, "write", name);
    CHECK_EXIT(r, 0);
    result_free(&r);
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* Synchronization objects                                                   */
/* ------------------------------------------------------------------------ */

TEST(sync_event_and_semaphore)
{
    mmf_sync *ev, *sem;
    mmf_section *sec;
    struct result r;

    private_store();
    CHECK_OK(mmf_event_create(&ev, test_name("ev"), 1, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&sem, test_name("sem"), 0, 2, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_section_create(&sec, test_name("sec"), 4096, MMF_CREATE_NEW, NULL));

    r = run("ls", "--json");
    CHECK_JSON(r.out);
    CHECK_HAS(ls_entry(r.out, local("ev")), "\"type\":\"event\"");
    CHECK_HAS(ls_entry(r.out, local("sem")), "\"type\":\"semaphore\"");
    result_free(&r);

    r = run("stat", test_name("ev"), "--json");
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    CHECK_HAS(r.out, "\"sync\":{\"manual_reset\":true,\"signaled\":false,\"waiters\":0}");
    result_free(&r);
    r = run("wait", test_name("ev"), "--timeout", "50");
    CHECK_EXIT(r, 5);
    CHECK_HAS(r.err, "not signaled within 50 ms");
    result_free(&r);
    r = run("signal", test_name("ev"));
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "it was not signaled");
    result_free(&r);
    CHECK_OK(mmf_sync_wait(ev, 0));
    r = run("wait", test_name("ev"));
    CHECK_EXIT(r, 0);
    result_free(&r);
    r = run("stat", test_name("ev"));
    CHECK_HAS(r.out, "manual-reset, signaled");
    result_free(&r);
    r = run("signal", test_name("ev"), "--reset");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "it was signaled");
    result_free(&r);
    CHECK_RC(mmf_sync_wait(ev, 0), MMF_ETIMEDOUT);

    r = run("wait", test_name("sem"), "--timeout", "0");
    CHECK_EXIT(r, 5);
    result_free(&r);
    r = run("post", test_name("sem"));
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "count 0 -> 1");
    result_free(&r);
    r = run("post", test_name("sem"), "--count", "2");
    CHECK_EXIT(r, 6);
    CHECK_HAS(r.err, "maximum (2)");
    result_free(&r);
    r = run("stat", test_name("sem"), "--json");
    CHECK_HAS(r.out, "\"sync\":{\"count\":1,\"maximum\":2,");
    result_free(&r);
    r = run("wait", test_name("sem"));
    CHECK_EXIT(r, 0);
    result_free(&r);
    CHECK_RC(mmf_sync_wait(sem, 0), MMF_ETIMEDOUT);

    /* Wrong types and bad arguments. */
    r = run("wait", test_name("sec"), "--timeout", "0");
    CHECK_EXIT(r, 8);
    result_free(&r);
    r = run("signal", test_name("sem"));
    CHECK_EXIT(r, 8);
    CHECK_HAS(r.err, "not an event");
    result_free(&r);
    r = run("post", test_name("ev"));
    CHECK_EXIT(r, 8);
    result_free(&r);
    r = run("cat", test_name("ev"));
    CHECK_EXIT(r, 8);
    result_free(&r);
    r = run("wait", test_name("ev"), "--timeout", "soon");
    CHECK_EXIT(r, 2);
    result_free(&r);
    r = run("post", test_name("sem"), "--count", "0");
    CHECK_EXIT(r, 2);
    result_free(&r);
    r = run("signal", test_name("missing"));
    CHECK_EXIT(r, 1);
    result_free(&r);
    CHECK_OK(mmf_sync_close(ev));
    CHECK_OK(mmf_sync_close(sem));
    CHECK_OK(mmf_section_close(sec));
}

/* own_mutex NAME READY-FD: open and own the mutex, wait to be killed. */
HELPER(own_mutex)
{
    mmf_sync *m;
    (void)argc;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (mmf_mutex_open(&m, argv[0]) < 0 || mmf_mutex_lock(m, MMF_INFINITE) < 0)
        return 3;
    test_sync_signal(atoi(argv[1]));
    for (;;)
        pause();
}

TEST(sync_mutex_lock_and_abandon)
{
    struct test_sync sy;
    char fd[16];
    mmf_sync *m;
    struct result r;
    pid_t owner;

    private_store();
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL));
    /* The command runs while the mutex is held: it sees it owned. */
    r = run("lock", test_name("m"), "--", mmf_path(), "stat", test_name("m"), "--json");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "\"recursion\":1,\"abandoned\":false");
    result_free(&r);
    r = run("stat", test_name("m"));
    CHECK_HAS(r.out, "mutex       free");
    result_free(&r);
    r = run("lock", test_name("m"), "--", "sh", "-c", "exit 3");
    CHECK_EXIT(r, 3);
    result_free(&r);
    r = run("lock", test_name("m"), "--", "/nonexistent/command");
    CHECK_EXIT(r, 127);
    CHECK_HAS(r.err, "cannot run");
    result_free(&r);
    r = run("lock", test_name("m"));
    CHECK_EXIT(r, 2);
    result_free(&r);

    /* Owned by another process: lock and wait time out. */
    test_sync_init(&sy);
    snprintf(fd, sizeof fd, "%d", sy.wr);
    owner = test_spawn("own_mutex", test_name("m"), fd, NULL);
    CHECK(test_sync_wait(&sy, 10000));
    r = run("lock", test_name("m"), "--timeout", "100", "--", "true");
    CHECK_EXIT(r, 5);
    result_free(&r);
    r = run("stat", test_name("m"), "--json");
    {
        char want[64];
        snprintf(want, sizeof want, "\"owner_pid\":%ld,", (long)owner);
        CHECK_HAS(r.out, want);
    }
    result_free(&r);

    /* Its owner dies: abandoned, which stat shows and wait reports (10). */
    kill_wait(owner);
    r = run("stat", test_name("m"), "--json");
    CHECK_HAS(r.out, "\"abandoned\":true");
    result_free(&r);
    r = run("wait", test_name("m"), "--timeout", "1000");
    CHECK_EXIT(r, 10);
    CHECK_HAS(r.out, "abandoned");
    result_free(&r);
    r = run("stat", test_name("m"), "--json");
    CHECK_HAS(r.out, "\"owner_pid\":0,");
    CHECK_HAS(r.out, "\"abandoned\":false");
    result_free(&r);
    r = run("wait", test_name("m"), "--timeout", "0");
    CHECK_EXIT(r, 0);
    result_free(&r);
    close(sy.rd);
    close(sy.wr);
    CHECK_OK(mmf_sync_close(m));
}

TEST(help_for_every_command)
{
    static const char *cmds[] = {"ls", "stat", "create", "rm", "gc", "cat", "dump", "write",
                                 "watch", "signal", "wait", "lock", "post", "bench"};
    struct result r;

    r = run("--help");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "Exit codes");
    result_free(&r);
    r = run_in(NULL, 0, (const char *)NULL);
    CHECK_EXIT(r, 2);
    result_free(&r);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "mmf %s", cmds[i]);
        r = run(cmds[i], "--help");
        CHECK_EXIT(r, 0);
        CHECK_HAS(r.out, want);
        result_free(&r);
        r = run("help", cmds[i]);
        CHECK_EXIT(r, 0);
        CHECK_HAS(r.out, want);
        CHECK_EQ(r.errlen, 0);
        result_free(&r);
    }
    r = run("--version");
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "mmf 1.");
    result_free(&r);
}

/* ------------------------------------------------------------------------ */
/* Names, output errors, create --detach                                     */
/* ------------------------------------------------------------------------ */

/* -V is --version; the overview shows both and ends at the manual. */
TEST(version_short_option_and_manual)
{
    static const char tail[] = "man mmf\n";
    struct result v = run("--version"), s = run("-V"), h = run("--help");

    CHECK_EXIT(v, 0);
    CHECK_EXIT(s, 0);
    CHECK(strcmp(v.out, s.out) == 0);
    CHECK_HAS(h.out, "-V, --version");
    CHECK_HAS(h.out, "-h, --help");
    CHECK(h.outlen > sizeof tail && strcmp(h.out + h.outlen - (sizeof tail - 1), tail) == 0);
    result_free(&v);
    result_free(&s);
    result_free(&h);
}

TEST(empty_name_is_a_usage_error)
{
    struct result r;

    private_store();
    /* An empty name would make an unnamed section that nobody can reach. */
    r = run("create", "", "--size", "4K", "--detach");
    CHECK_EXIT(r, 2);
    CHECK_HAS(r.err, "name cannot be empty");
    CHECK_EQ(r.outlen, 0);
    result_free(&r);
    r = run("create", "", "--size", "4K");
    CHECK_EXIT(r, 2);
    result_free(&r);
    {
        const char *cmds[][4] = {{"stat", ""},          {"cat", ""},
                                 {"dump", ""},          {"write", ""},
                                 {"watch", ""},         {"rm", ""},
                                 {"signal", ""},        {"wait", "", "--timeout", "0"},
                                 {"post", ""},          {"lock", "", "--", "true"}};
        for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
            r = run(cmds[i][0], cmds[i][1], cmds[i][2], cmds[i][3]);
            if (r.code != 2)
                test_fail(__FILE__, __LINE__, "%s '' exited %d: %s", cmds[i][0], r.code,
                          r.err);
            CHECK_HAS(r.err, "name cannot be empty");
            result_free(&r);
        }
    }
    CHECK_EQ(test_store_count(""), 0);
}

TEST(stdout_write_errors_exit_6)
{
    static const char *const cmds[][4] = {
        {"ls"}, {"ls", "--json"}, {"stat", "S"}, {"stat", "S", "--json"}, {"gc"},
        {"--help"}, {"ls", "--help"}, {"--version"}, {"cat", "S"}, {"dump", "S"},
        {"signal", "E"}, {"post", "M"}, {"wait", "E", "--timeout", "0"},
    };
    mmf_section *s;
    mmf_sync *ev, *sem;
    struct result r;
    pid_t pid;

    private_store();
    CHECK_OK(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_event_create(&ev, test_name("e"), 1, 0, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_semaphore_create(&sem, test_name("m"), 0, 100, MMF_CREATE_NEW, NULL));
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        const char *a[4];
        for (int k = 0; k < 4; k++)
            a[k] = cmds[i][k] == NULL       ? NULL
                   : strcmp(cmds[i][k], "S") == 0 ? test_name("s")
                   : strcmp(cmds[i][k], "E") == 0 ? test_name("e")
                   : strcmp(cmds[i][k], "M") == 0 ? test_name("m")
                                                  : cmds[i][k];
        if (strcmp(a[0], "wait") == 0)
            CHECK(mmf_event_set(ev) >= 0);
        r = run_full(a[0], a[1], a[2], a[3]);
        if (r.code != 6)
            test_fail(__FILE__, __LINE__, "%s %s > /dev/full exited %d: %s", a[0],
                      a[1] ? a[1] : "", r.code, r.err);
        CHECK_HAS(r.err, "cannot write to stdout");
        CHECK(strchr(r.err, '\n') == r.err + r.errlen - 1); /* said once */
        result_free(&r);
    }
    r = run_stdin("x", 1, "write", test_name("s"));
    CHECK_EXIT(r, 0);
    result_free(&r);

    /* create --detach whose pid cannot be printed: nobody could stop the
     * holder, so it is stopped, and the name goes. */
    r = run_full("create", test_name("d"), "--size", "4K", "--detach");
    CHECK_EXIT(r, 6);
    CHECK_HAS(r.err, "cannot write to stdout");
    CHECK_HAS(r.err, "the holder was stopped");
    CHECK(strchr(r.err, '\n') == r.err + r.errlen - 1);
    result_free(&r);
    for (int i = 0; i < 500 && test_store_count(test_name("d")) != 0; i++)
        test_sleep_ms(10);
    CHECK_EQ(test_store_count(test_name("d")), 0);

    /* The pid alone on stdout, usable by a script. */
    r = run("create", test_name("d"), "--size", "4K", "--detach");
    CHECK_EXIT(r, 0);
    pid = holder_pid(r.out);
    result_free(&r);
    CHECK(kill(pid, SIGTERM) == 0);
    wait_gone(test_name("d"));
    CHECK_OK(mmf_sync_close(ev));
    CHECK_OK(mmf_sync_close(sem));
    CHECK_OK(mmf_section_close(s));
}

/* ------------------------------------------------------------------------ */
/* lock: the command never runs without the mutex                            */
/* ------------------------------------------------------------------------ */

/* Read /proc/PID/FILE into buf (NUL-terminated); its length, or -1. */
static ssize_t read_proc(pid_t pid, const char *file, char *buf, size_t cap)
{
    char path[96];
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, file);
    buf[0] = '\0';
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    n = read(fd, buf, cap - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

/* Whether pid is gone: no such process, or a zombie nobody reaped yet. */
static int process_gone(pid_t pid)
{
    char buf[512];
    const char *p;

    if (read_proc(pid, "stat", buf, sizeof buf) <= 0)
        return 1;
    p = strrchr(buf, ')');
    return p != NULL && (p[2] == 'Z' || p[2] == 'X');
}

static int gone_within(pid_t pid, long ms)
{
    for (long t = 0; t < ms; t += 10) {
        if (process_gone(pid))
            return 1;
        test_sleep_ms(10);
    }
    return process_gone(pid);
}

/* Start `path argv...` in the background and wait (up to 10 s) for its
 * first output, returned in buf (NUL-terminated). Returns its pid, and in
 * *rd its stdout's read end, for the caller to close once it has ended
 * (what it prints later is not read). */
static pid_t start_until_output(const char *path, char *const argv[], char *buf, size_t cap,
                                int *rd)
{
    int out[2];
    struct pollfd p;
    ssize_t n;
    pid_t pid;

    CHECK(pipe(out) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        execv(path, argv);
        _exit(127);
    }
    close(out[1]);
    p = (struct pollfd){out[0], POLLIN, 0};
    CHECK(poll(&p, 1, 10000) == 1);
    n = read(out[0], buf, cap - 1);
    CHECK(n > 0);
    buf[n] = '\0';
    *rd = out[0];
    return pid;
}

/* Start `mmf lock NAME -- sh -c 'echo $$; exec sleep 1000'`; returns
 * mmf's pid and, in *cmd, the command's (sh execs sleep: same pid). */
static pid_t start_lock(const char *name, pid_t *cmd)
{
    char *argv[] = {(char *)"mmf", (char *)"lock", (char *)name, (char *)"--",
                    (char *)"sh", (char *)"-c", (char *)"echo $$; exec sleep 1000", NULL};
    char buf[64];
    int rd;
    pid_t pid = start_until_output(mmf_path(), argv, buf, sizeof buf, &rd);

    close(rd); /* mmf writes nothing, nor does sleep */
    *cmd = (pid_t)atol(buf);
    CHECK(*cmd > 0);
    return pid;
}

TEST(lock_command_dies_with_mmf)
{
    mmf_sync *m;
    struct result r;
    pid_t tool, cmd;

    private_store();
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL));
    tool = start_lock(test_name("m"), &cmd);
    /* The command runs holding the mutex... */
    r = run("stat", test_name("m"), "--json");
    CHECK_HAS(r.out, "\"recursion\":1,\"abandoned\":false");
    result_free(&r);
    /* ...until mmf is killed outright: then it must not run on without
     * the lock. */
    CHECK(kill(tool, SIGKILL) == 0);
    CHECK_EQ(test_wait(tool), 128 + SIGKILL);
    if (!gone_within(cmd, 2000)) {
        kill(cmd, SIGKILL);
        test_fail(__FILE__, __LINE__, "the command (pid %ld) outlived mmf lock", (long)cmd);
    }
    r = run("wait", test_name("m"), "--timeout", "1000");
    CHECK_EXIT(r, 10); /* abandoned by mmf, as any owner that dies */
    result_free(&r);
    CHECK_OK(mmf_sync_close(m));
}

TEST(lock_passes_stop_signals_on)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    mmf_sync *m;
    struct result r;
    pid_t tool, cmd;

    private_store();
    CHECK_OK(mmf_mutex_create(&m, test_name("m"), 0, MMF_CREATE_NEW, NULL));
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        tool = start_lock(test_name("m"), &cmd);
        /* Sent to mmf alone: the command gets it, ends, and mmf releases
         * the mutex and exits with the command's status. */
        CHECK(kill(tool, sigs[i]) == 0);
        CHECK_EQ(wait_or_kill(tool, 5000), 128 + sigs[i]);
        CHECK(gone_within(cmd, 2000));
        r = run("stat", test_name("m"), "--json");
        CHECK_HAS(r.out, "\"owner_pid\":0,");
        CHECK_HAS(r.out, "\"abandoned\":false");
        result_free(&r);
    }
    CHECK_OK(mmf_sync_close(m));
}

/* ------------------------------------------------------------------------ */
/* ls: channels, wide names                                                  */
/* ------------------------------------------------------------------------ */

/* Terminal columns of a UTF-8 string, for the names used below: CJK
 * ideographs (U+4E00..U+9FFF, 3 bytes) and emoji (4 bytes) take two. */
static size_t columns(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xf0) {
            w += 2;
            i += 4;
        } else if (c >= 0xe4 && c <= 0xe9) {
            w += 2;
            i += 3;
        } else {
            w += 1;
            i += c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        }
    }
    return w;
}

TEST(ls_table_shows_channels_and_aligns_wide_names)
{
    const char *tags[] = {"\xe6\x95\xb0\xe6\x8d\xae", /* 数据 */
                          "\xf0\x9f\x9a\x80x",         /* 🚀x */
                          "plain"};
    mmf_section *s[3];
    mmf_ring *ring;
    struct result r;
    char ring_size[64];
    long col = -1;
    int lines = 0;

    private_store();
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_section_create(&s[i], test_name(tags[i]), 4096, MMF_CREATE_NEW, NULL));
    CHECK_OK(mmf_ring_create(&ring, test_name("ring"), 65536, MMF_ROLE_PRODUCER,
                             MMF_CREATE_NEW, NULL));
    /* The size --json gives, as the table writes it (KiB, one decimal). */
    r = run("ls", "--json");
    CHECK_EXIT(r, 0);
    {
        const char *e = ls_entry(r.out, local("ring")), *sz;
        CHECK(e != NULL && (sz = strstr(e, "\"size\":")) != NULL);
        snprintf(ring_size, sizeof ring_size, " channel  %.1f KiB ",
                 (double)atoll(sz + 7) / 1024);
    }
    result_free(&r);
    r = run("ls");
    CHECK_EXIT(r, 0);
    /* Every line, the header too, starts its second column (TYPE) at the
     * same terminal column. */
    for (char *line = r.out, *end; *line != '\0'; line = end + 1) {
        const char *type;
        long c;
        end = strchr(line, '\n');
        CHECK(end != NULL);
        *end = '\0';
        /* (The case's name holds "channels": look for the column.) */
        type = strstr(line, " section ");
        if (type == NULL)
            type = strstr(line, " channel ");
        if (type == NULL)
            type = strstr(line, " TYPE ");
        CHECK(type != NULL);
        c = (long)columns(line, (size_t)(type - line));
        if (col >= 0 && c != col)
            test_fail(__FILE__, __LINE__, "TYPE at column %ld, not %ld, in:\n%s", c, col,
                      line);
        col = c;
        lines++;
        /* A channel has a size (its capacity and a header) and resident
         * bytes, as --json says; not "-" as a mutex has. */
        if (strstr(line, " channel ") != NULL) {
            CHECK_HAS(line, ring_size);
            CHECK_LACKS(line, " - ");
        }
    }
    CHECK_EQ(lines, 5);
    result_free(&r);
    CHECK_OK(mmf_ring_close(ring));
    for (int i = 0; i < 3; i++)
        CHECK_OK(mmf_section_close(s[i]));
}

/* ------------------------------------------------------------------------ */
/* bench: the CPUs it may use                                                */
/* ------------------------------------------------------------------------ */

/* The CPUs a process may run on, as /proc/PID/status lists them, or "". */
static void allowed_cpus(pid_t pid, char *buf, size_t cap)
{
    char text[4096];
    const char *p;

    buf[0] = '\0';
    if (read_proc(pid, "status", text, sizeof text) <= 0)
        return;
    if ((p = strstr(text, "Cpus_allowed_list:")) != NULL)
        snprintf(buf, cap, "%.*s", (int)strcspn(p + 18 + strspn(p + 18, "\t "), "\n"),
                 p + 18 + strspn(p + 18, "\t "));
}

/* Whether pid runs the tool (its command name is "mmf"). */
static int is_mmf(pid_t pid)
{
    char comm[32];
    return read_proc(pid, "comm", comm, sizeof comm) > 0 && strcmp(comm, "mmf\n") == 0;
}

TEST_SLOW(bench_stays_on_allowed_cpus)
{
    char want[16], seen[64], kids[256], children[64];
    int out = memfd_create("out", 0), cpu = -1, looks = 0;
    struct result r = {0};
    cpu_set_t set;
    pid_t pid;

    private_store();
    /* The last CPU this test may use, alone, as `taskset -c N` would. */
    CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            cpu = c;
    CHECK(cpu >= 0 && out >= 0);
    snprintf(want, sizeof want, "%d", cpu);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            _exit(126);
        dup2(out, 1);
        execl(mmf_path(), "mmf", "bench", "--quick", "--json", (char *)NULL);
        _exit(127);
    }
    /* While it runs, neither it nor its children leave that CPU. */
    snprintf(children, sizeof children, "task/%ld/children", (long)pid);
    for (int i = 0; i < 6000 && !process_gone(pid); i++) {
        if (!is_mmf(pid)) { /* not yet past its exec */
            test_sleep_ms(1);
            continue;
        }
        read_proc(pid, children, kids, sizeof kids);
        allowed_cpus(pid, seen, sizeof seen);
        if (seen[0] != '\0' && strcmp(seen, want) != 0)
            test_fail(__FILE__, __LINE__, "mmf bench ran on CPUs %s, allowed %s", seen, want);
        for (char *k = kids; *k != '\0';) {
            char *next;
            pid_t child = (pid_t)strtol(k, &next, 10);
            if (next == k)
                break;
            k = next;
            allowed_cpus(child, seen, sizeof seen);
            if (seen[0] != '\0' && strcmp(seen, want) != 0)
                test_fail(__FILE__, __LINE__, "its child ran on CPUs %s, allowed %s", seen,
                          want);
            looks++;
            while (*k == ' ')
                k++;
        }
        test_sleep_ms(20);
    }
    r.code = test_wait(pid);
    r.out = slurp(out, &r.outlen);
    CHECK_EXIT(r, 0);
    CHECK_JSON(r.out);
    {
        char pinned[64];
        snprintf(pinned, sizeof pinned, "\"pinned\":[%d,%d]", cpu, cpu);
        CHECK_HAS(r.out, pinned);
        CHECK_HAS(r.out, "\"allowed_cpus\":1,");
    }
    CHECK_HAS(r.out, "busy-polling needs two CPUs");
    CHECK_LACKS(r.out, "\"error\":\"");
    CHECK(looks > 0); /* its children were seen */
    free(r.out);
    CHECK_EQ(test_store_count("mmf-bench."), 0);
}

/* ------------------------------------------------------------------------ */
/* The ring example (examples/ring)                                          */
/* ------------------------------------------------------------------------ */

TEST(example_ring_consumer_ends_after_a_persistent_producer)
{
    char file[PATH_MAX];
    struct result r;

    private_store();
    snprintf(file, sizeof file, "/tmp/mmf-test-%ld-ring", (long)getpid());
    unlink(file);
    /* The producer runs first and leaves; its messages wait in the file. */
    r = run_build_prog("examples/ring/ring_producer", 20000, "-n", test_name("r"), "-f",
                       file, "-c", "1000");
    CHECK_EXIT(r, 0);
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("r")), 0);
    /* The consumer reads them all, then ends instead of waiting forever. */
    r = run_build_prog("examples/ring/ring_consumer", 20000, "-n", test_name("r"), "-f",
                       file);
    CHECK_EXIT(r, 0);
    CHECK_HAS(r.out, "consumer: 1000 messages");
    CHECK_HAS(r.out, "0 out of order");
    CHECK_HAS(r.out, "the producer is gone");
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("r")), 0);
    unlink(file);

    /* A ring file in a folder that does not exist: say which. */
    snprintf(file, sizeof file, "/tmp/mmf-test-%ld-nodir/ring", (long)getpid());
    r = run_build_prog("examples/ring/ring_producer", 20000, "-n", test_name("r"), "-f",
                       file, "-c", "10");
    CHECK_EXIT(r, 1);
    CHECK_HAS(r.err, "directory");
    CHECK_HAS(r.err, "-nodir does not exist");
    CHECK_LACKS(r.err, "no object with that name");
    result_free(&r);
    r = run_build_prog("examples/ring/ring_consumer", 20000, "-n", test_name("r"), "-f",
                       file);
    CHECK_EXIT(r, 1);
    CHECK_HAS(r.err, "-nodir does not exist");
    result_free(&r);
    CHECK_EQ(test_store_count(test_name("r")), 0);
}

TEST(example_ring_closes_on_stop_signals)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    char path[2 * PATH_MAX];

    private_store();
    snprintf(path, sizeof path, "%s/examples/ring/ring_consumer", build_dir());
    if (access(path, X_OK) != 0)
        SKIP("%s is not built", path);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char *argv[] = {(char *)"ring_consumer", (char *)"-n", (char *)test_name("r"), NULL};
        char buf[256];
        int rd;
        pid_t pid = start_until_output(path, argv, buf, sizeof buf, &rd);

        CHECK_HAS(buf, "waiting for messages"); /* attached: the ring exists */
        CHECK_EQ(test_store_count(test_name("r")), 1);
        CHECK(kill(pid, sigs[i]) == 0);
        /* Ends as the signal ends a program, having closed the ring: no
         * stale entry is left. */
        CHECK_EQ(wait_or_kill(pid, 5000), 128 + sigs[i]);
        close(rd);
        CHECK_EQ(test_store_count(test_name("r")), 0);
    }
}
