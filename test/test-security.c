/* SPDX-License-Identifier: MIT */
/*
 * test-security.c - permissions of named sections: the mode of the store
 * file, access by another user, per-user Local\ names, and files another
 * user placed under our names. The cross-user cases need root (CI runs
 * them as root); they drop to uid/gid 65534 in a helper process and are
 * skipped (77) otherwise.
 */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "object.h"

#define NOBODY 65534

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static const char *store_dir(void)
{
    const char *d = getenv("MMF_STORE_DIR");
    return d != NULL && d[0] == '/' ? d : "/dev/shm";
}

/* The store file of the Local name `key` for user `uid`:
 * <store>/mmf.u<uid>.<key> (test keys need no %-escaping). */
static void local_path(const char *key, unsigned uid, char *path, size_t cap)
{
    snprintf(path, cap, "%s/mmf.u%u.%s", store_dir(), uid, key);
}

/* Find the store file of the Global name `key`: "mmf.g<...>.<key>".
 * Returns 1 if found. */
static int global_path(const char *key, char *path, size_t cap)
{
    DIR *d = opendir(store_dir());
    struct dirent *e;
    size_t kl = strlen(key);
    int found = 0;

    CHECK(d != NULL);
    while (!found && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "mmf.g", 5) == 0 && n > kl + 5 &&
            e->d_name[n - kl - 1] == '.' && strcmp(e->d_name + n - kl, key) == 0) {
            snprintf(path, cap, "%s/%s", store_dir(), e->d_name);
            found = 1;
        }
    }
    closedir(d);
    return found;
}

static unsigned file_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        test_fail(__FILE__, __LINE__, "stat %s: %s", path, strerror(errno));
    return (unsigned)st.st_mode & 07777;
}

static void need_root(void)
{
    if (geteuid() != 0)
        SKIP("cross-user cases need root (they switch to uid %d)", NOBODY);
}

/* Start `helper` (which drops privileges first) and wait for it; the
 * caller checks the code after cleaning up. */
static int run_as_nobody(const char *helper, const char *a1, const char *a2)
{
    return test_wait(test_spawn(helper, a1, a2, NULL));
}

/* Drop to NOBODY at the start of a helper. */
static void become_nobody(void)
{
    CHECK_EQ(test_drop_privileges(), 0);
    CHECK_EQ(geteuid(), NOBODY);
    CHECK_EQ(getegid(), NOBODY);
}

/* Map a section read-only and compare its start with `text`. */
static int section_says(mmf_section *s, const char *text)
{
    char *p = NULL;
    int same;
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    same = strcmp(p, text) == 0;
    CHECK_OK(mmf_view_unmap(p));
    return same;
}

static void write_text(mmf_section *s, const char *text)
{
    char *p = NULL;
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    strcpy(p, text);
    CHECK_OK(mmf_view_unmap(p));
}

/* ------------------------------------------------------------------------ */
/* Modes                                                                     */
/* ------------------------------------------------------------------------ */

/* Create `key` (Local or Global) with `mode` and return its file's mode. */
static unsigned created_mode(const char *key, int global, unsigned mode)
{
    mmf_section_opts o = {.mode = mode};
    mmf_section *s;
    char name[300], path[512];
    struct stat st;
    unsigned m;

    snprintf(name, sizeof name, "%s%s", global ? "Global\\" : "", key);
    CHECK_RC(mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, &o), 0);
    if (global)
        CHECK(global_path(key, path, sizeof path));
    else
        local_path(key, (unsigned)geteuid(), path, sizeof path);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_uid, geteuid());
    m = (unsigned)st.st_mode & 07777;
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(key), 0);
    return m;
}

/* Security: a new named section is owner-only (0600) by default, whatever
 * the umask, for Local\ and Global\ names. */
TEST(default_mode_is_0600)
{
    static const mode_t masks[] = {077, 000, 022, 0177, 0277, 0477};
    mode_t old = umask(077);
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        umask(masks[i]);
        CHECK_EQ(created_mode(test_name("local"), 0, 0), 0600);
        CHECK_EQ(created_mode(test_name("global"), 1, 0), 0600);
    }
    umask(old);
}

/* Security: opts.mode is applied exactly, without the umask: it neither
 * narrows (umask 077) nor widens (umask 000) what was asked. */
TEST(explicit_mode_is_exact)
{
    static const mode_t masks[] = {077, 000, 0777};
    static const unsigned modes[] = {0640, 0604, 0644, 0660, 0666, 0600, 0400};
    mode_t old = umask(077);
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        umask(masks[i]);
        for (size_t j = 0; j < sizeof modes / sizeof modes[0]; j++) {
            CHECK_EQ(created_mode(test_name("local"), 0, modes[j]), modes[j]);
            CHECK_EQ(created_mode(test_name("global"), 1, modes[j]), modes[j]);
        }
    }
    umask(old);
}

/* Security: opening an existing name ignores opts.mode (the creator's mode
 * stays). */
TEST(mode_ignored_when_opening)
{
    mmf_section_opts wide = {.mode = 0666};
    mmf_section *a, *b;
    char path[512];

    CHECK_RC(mmf_section_create(&a, test_name("s"), 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_RC(mmf_section_create(&b, test_name("s"), 4096, MMF_OPEN_OR_CREATE, &wide),
             MMF_EXISTED);
    local_path(test_name("s"), (unsigned)geteuid(), path, sizeof path);
    CHECK_EQ(file_mode(path), 0600);
    CHECK_OK(mmf_section_close(b));
    CHECK_OK(mmf_section_close(a));
}

/* ------------------------------------------------------------------------ */
/* Another user                                                              */
/* ------------------------------------------------------------------------ */

/* argv: name, store path. As nobody, against root's default-mode Global
 * section: every open is refused, and the file cannot be removed, renamed,
 * truncated or opened directly. */
HELPER(nobody_denied)
{
    mmf_section *s;
    char moved[600];
    int rc;

    become_nobody();
    CHECK_EQ(argc, 2);
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_READ), MMF_EACCES);
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_WRITE), MMF_EACCES);
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE),
             MMF_EACCES);
    CHECK_RC(mmf_section_create(&s, argv[0], 4096, MMF_OPEN_OR_CREATE, NULL),
             MMF_EACCES);
    /* The name exists and we may not open it: "access denied" says more
     * than "exists", but mmf.h lists both for this case. */
    rc = mmf_section_create(&s, argv[0], 4096, MMF_CREATE_NEW, NULL);
    CHECK(rc == MMF_EACCES || rc == MMF_EEXIST);

    errno = 0;
    CHECK(unlink(argv[1]) != 0 && (errno == EPERM || errno == EACCES));
    snprintf(moved, sizeof moved, "%s.moved", argv[1]);
    errno = 0;
    CHECK(rename(argv[1], moved) != 0 && (errno == EPERM || errno == EACCES));
    errno = 0;
    CHECK(truncate(argv[1], 0) != 0 && errno == EACCES);
    errno = 0;
    CHECK(open(argv[1], O_RDONLY) < 0 && errno == EACCES);
    return 0;
}

/* Security: another user cannot open root's default-mode (0600) Global\
 * section (MMF_EACCES), nor delete, rename or truncate its store file. */
TEST(other_user_denied_by_default)
{
    mmf_section *s, *t;
    char name[300], path[512];
    struct stat before, after;
    int code;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("s"));
    CHECK_RC(mmf_section_create(&s, name, 65536, MMF_CREATE_NEW, NULL), 0);
    write_text(s, "root's secret");
    CHECK(global_path(test_name("s"), path, sizeof path));
    CHECK_EQ(file_mode(path), 0600);
    CHECK_EQ(stat(path, &before), 0);

    code = run_as_nobody("nobody_denied", name, path);

    CHECK_EQ(stat(path, &after), 0);
    CHECK_EQ(after.st_ino, before.st_ino);
    CHECK_EQ(after.st_size, before.st_size);
    CHECK(section_says(s, "root's secret"));
    CHECK_OK(mmf_section_open(&t, name, MMF_ACCESS_READ));
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(code, 0);
}

/* argv: name, text. As nobody, against a 0644 section: read access works
 * and shows the data; anything that writes the section is refused. */
HELPER(nobody_reader)
{
    mmf_section_info info;
    mmf_section *s, *d;
    char *p = NULL, *c = NULL, *w = NULL;

    become_nobody();
    CHECK_EQ(argc, 2);
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_WRITE), MMF_EACCES);
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE),
             MMF_EACCES);
    CHECK_RC(mmf_section_create(&s, argv[0], 4096, MMF_OPEN_OR_CREATE, NULL),
             MMF_EACCES);
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ));
    CHECK_OK(mmf_section_stat(s, &info));
    CHECK_EQ(info.access, MMF_ACCESS_READ);
    CHECK_EQ(info.size, 65536);
    CHECK_OK(mmf_view_map(s, MMF_MAP_READ, 0, 0, 0, (void **)&p));
    CHECK(strcmp(p, argv[1]) == 0);
    CHECK_RC(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&w), MMF_EACCES);
    CHECK_RC(mmf_section_duplicate(s, MMF_ACCESS_READ | MMF_ACCESS_WRITE, &d),
             MMF_EACCES);
    CHECK_RC(mmf_section_commit(s, 0, 4096), MMF_EACCES);
    /* A copy-on-write view only needs read access; its writes stay ours. */
    CHECK_OK(mmf_view_map(s, MMF_MAP_COPY, 0, 0, 0, (void **)&c));
    strcpy(c, "scribbled by nobody");
    CHECK(strcmp(p, argv[1]) == 0);
    CHECK_OK(mmf_view_unmap(c));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    return 0;
}

/* Security: with mode 0644 another user opens MMF_ACCESS_READ, maps
 * MMF_MAP_READ and reads the data; MMF_ACCESS_WRITE is MMF_EACCES. */
TEST(other_user_reads_mode_0644)
{
    mmf_section_opts o = {.mode = 0644};
    mmf_section *s;
    char name[300];
    int code;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("s"));
    CHECK_RC(mmf_section_create(&s, name, 65536, MMF_CREATE_NEW, &o), 0);
    write_text(s, "readable by all");
    code = run_as_nobody("nobody_reader", name, "readable by all");
    CHECK(section_says(s, "readable by all"));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(code, 0);
}

/* argv: name. As nobody, against a 0666 section: read-write access. */
HELPER(nobody_writer)
{
    mmf_section *s;
    char *p = NULL;

    become_nobody();
    CHECK_EQ(argc, 1);
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK(strcmp(p, "from root") == 0);
    strcpy(p, "from nobody");
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    return 0;
}

/* Security: with mode 0666 another user may open read-write and write. */
TEST(other_user_writes_mode_0666)
{
    mmf_section_opts o = {.mode = 0666};
    mmf_section *s;
    char name[300];
    int code;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("s"));
    CHECK_RC(mmf_section_create(&s, name, 65536, MMF_CREATE_NEW, &o), 0);
    write_text(s, "from root");
    code = run_as_nobody("nobody_writer", name, NULL);
    CHECK_EQ(code, 0);
    CHECK(section_says(s, "from nobody"));
    CHECK_OK(mmf_section_close(s));
}

/* argv: key. As nobody: root's Local\ object is not visible; nobody gets
 * a separate object of its own under the same Local name. */
HELPER(nobody_local)
{
    mmf_section *s;
    char name[300], path[512];
    struct stat st;
    char *p = NULL;

    become_nobody();
    CHECK_EQ(argc, 1);
    snprintf(name, sizeof name, "Local\\%s", argv[0]);
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_RC(mmf_section_create(&s, name, 4096, MMF_CREATE_NEW, NULL), 0);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, (void **)&p));
    CHECK_EQ(p[0], 0); /* not root's data */
    strcpy(p, "nobody's own");
    local_path(argv[0], NOBODY, path, sizeof path);
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_uid, NOBODY);
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
    CHECK(stat(path, &st) != 0 && errno == ENOENT);
    return 0;
}

/* P (namespaces): Local\ names are per user: another user opening
 * "Local\X" (or "X") does not see root's object (MMF_ENOENT) and creating
 * it makes its own, separate object. */
TEST(local_names_are_per_user)
{
    mmf_section_opts o = {.mode = 0666};
    mmf_section *s;
    char path[512];
    int code;

    need_root();
    /* Even a world-readable Local object is invisible to another user. */
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, &o), 0);
    write_text(s, "root's own");
    code = run_as_nobody("nobody_local", test_name("s"), NULL);
    CHECK(section_says(s, "root's own"));
    local_path(test_name("s"), 0, path, sizeof path);
    CHECK_EQ(file_mode(path), 0666);
    CHECK_OK(mmf_section_close(s));
    local_path(test_name("s"), NOBODY, path, sizeof path);
    unlink(path); /* in case the helper failed before closing */
    CHECK_EQ(code, 0);
}

/* argv: name, ready_wr, go_rd, then what to do after closing: "open" or
 * "create". As nobody: open root's 0644 Global section, hold it while root
 * closes, then be the last to close it. */
HELPER(nobody_last_closer)
{
    mmf_section *s;
    int rc;

    become_nobody();
    test_die_with_parent();
    CHECK_EQ(argc, 4);
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ));
    CHECK(section_says(s, "root's data"));
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    CHECK(section_says(s, "root's data"));
    CHECK_OK(mmf_section_close(s));
    /* That was the last handle in the system: the name is gone. */
    if (strcmp(argv[3], "open") == 0) {
        CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_READ), MMF_ENOENT);
        return 0;
    }
    /* Known limit: /dev/shm is sticky, so nobody could not delete root's
     * file; until root (or `mmf gc` as root) reclaims it, nobody's create
     * of the name fails with a clear MMF_EACCES instead of making a new
     * object. Opening still reports the name as gone. */
    rc = mmf_section_create(&s, argv[0], 8192, MMF_OPEN_OR_CREATE, NULL);
    if (rc != MMF_EACCES)
        test_fail(__FILE__, __LINE__,
                  "open-or-create over root's stale file returned %s, expected "
                  "MMF_EACCES", mmf_err_name(rc));
    CHECK_RC(mmf_section_open(&s, argv[0], MMF_ACCESS_READ), MMF_ENOENT);
    return 0;
}

/* Run nobody_last_closer with `then`; returns its exit code. Root has
 * closed its handle when it returns, and nobody holds the name. */
static int nobody_closes_last(const char *name, const char *then)
{
    mmf_section_opts o = {.mode = 0644};
    struct test_sync ready, go;
    mmf_section *s;
    pid_t pid;
    int ok;

    test_sync_init(&ready);
    test_sync_init(&go);
    CHECK_RC(mmf_section_create(&s, name, 65536, MMF_CREATE_NEW, &o), 0);
    write_text(s, "root's data");
    pid = test_spawn("nobody_last_closer", name, test_num(ready.wr), test_num(go.rd), then, NULL);
    ok = test_sync_wait(&ready, 10000);
    CHECK_OK(mmf_section_close(s));
    /* nobody's handle keeps the name alive */
    if (ok) {
        CHECK_OK(mmf_section_open(&s, name, MMF_ACCESS_READ));
        CHECK_OK(mmf_section_close(s));
    }
    test_sync_signal(go.wr);
    return test_wait(pid);
}

/* N08 + security: when the last handle belongs to another user, the name
 * still goes with it (open gives MMF_ENOENT for everyone), although that
 * user may not delete root's store file. */
TEST(other_user_last_close_removes_name)
{
    mmf_section *s;
    char name[300];
    int code;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("s"));
    code = nobody_closes_last(name, "open");
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_EQ(code, 0);
}

/* N03 + security, a documented limit: after another user closed the last
 * handle of root's object, root's file stays (the sticky /dev/shm forbids
 * that user to delete it), so that user's create fails with MMF_EACCES;
 * the owner's next create reclaims the stale file and makes a new,
 * zero-filled object (N03). */
TEST(other_user_recreate_needs_owner_reclaim)
{
    mmf_section *s;
    char name[300];
    int code;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("s"));
    code = nobody_closes_last(name, "create");
    CHECK_EQ(code, 0);
    CHECK_RC(mmf_section_create(&s, name, 8192, MMF_OPEN_OR_CREATE, NULL), 0);
    CHECK(section_says(s, ""));
    CHECK_OK(mmf_section_close(s));
    CHECK_EQ(test_store_count(test_name("s")), 0);
}

/* ------------------------------------------------------------------------ */
/* Squatters                                                                 */
/* ------------------------------------------------------------------------ */

/* Security: a file another user placed in the store under our Local name
 * is refused with MMF_EACCES by open and create, and left alone. */
TEST(squatter_file_refused)
{
    mmf_section *s;
    char path[512], buf[8192], back[8192];
    struct stat st;
    int fd, rc;

    need_root();
    local_path(test_name("s"), (unsigned)geteuid(), path, sizeof path);
    memset(buf, 'X', sizeof buf);
    fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, buf, sizeof buf), sizeof buf);
    CHECK_EQ(fchown(fd, NOBODY, NOBODY), 0);
    CHECK_EQ(fchmod(fd, 0666), 0);

    CHECK_RC(mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ), MMF_EACCES);
    CHECK_RC(mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ | MMF_ACCESS_WRITE),
             MMF_EACCES);
    CHECK_RC(mmf_section_create(&s, test_name("s"), 4096, MMF_OPEN_OR_CREATE, NULL),
             MMF_EACCES);
    rc = mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL);
    CHECK(rc == MMF_EACCES || rc == MMF_EEXIST);

    /* Not removed, not replaced, not written. */
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_uid, NOBODY);
    CHECK_EQ(st.st_size, sizeof buf);
    CHECK_EQ(pread(fd, back, sizeof back, 0), sizeof back);
    CHECK(memcmp(buf, back, sizeof buf) == 0);
    close(fd);
    CHECK_EQ(unlink(path), 0);
}

/* argv: path, ready_wr, go_rd, header file. As nobody: put a well-formed,
 * live-looking object (a valid header naming root's Local name, and a
 * held reference lock) at root's store path. */
HELPER(nobody_squatter)
{
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0,
                       .l_len = 1};
    static char img[MMF__HDR_SIZE + 4096];
    int in, fd;

    CHECK_EQ(argc, 4);
    in = open(argv[3], O_RDONLY | O_CLOEXEC); /* read before dropping */
    CHECK(in >= 0);
    CHECK_EQ(read(in, img, sizeof img), sizeof img);
    close(in);
    become_nobody();
    test_die_with_parent();
    fd = open(argv[0], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0666);
    CHECK(fd >= 0);
    CHECK_EQ(fchmod(fd, 0666), 0);
    CHECK_EQ(write(fd, img, sizeof img), sizeof img);
    CHECK_EQ(fcntl(fd, F_OFD_SETLK, &fl), 0);
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    close(fd);
    return 0;
}

/* Security: even a valid, live-looking object placed under our Local name
 * by another user is refused (MMF_EACCES), never used. */
TEST(squatter_live_object_refused)
{
    struct test_sync ready, go;
    struct mmf__hdr *h;
    static char img[MMF__HDR_SIZE + 4096];
    mmf_section *s, *t;
    char path[512], tpath[512], hfile[64];
    struct stat st;
    pid_t pid;
    int fd, ok, code, owner_kept = 0;
    int rc_open = 0, rc_ooc = 0, rc_new = 0;

    need_root();
    /* A genuine object's file image, renamed to our name. */
    CHECK_RC(mmf_section_create(&t, test_name("template"), 4096, MMF_CREATE_NEW, NULL), 0);
    write_text(t, "squatter's data");
    local_path(test_name("template"), 0, tpath, sizeof tpath);
    fd = open(tpath, O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(pread(fd, img, sizeof img, 0), sizeof img);
    close(fd);
    CHECK_OK(mmf_section_close(t));
    h = (struct mmf__hdr *)img;
    CHECK_EQ(h->magic, MMF__HDR_MAGIC);
    snprintf(h->name, sizeof h->name, "Local\\%s", test_name("s"));
    h->name_len = (uint32_t)strlen(h->name);
    snprintf(hfile, sizeof hfile, "/tmp/mmf-test-%ld-hdr", (long)getpid());
    fd = open(hfile, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, img, sizeof img), sizeof img);
    close(fd);

    local_path(test_name("s"), 0, path, sizeof path);
    test_sync_init(&ready);
    test_sync_init(&go);
    pid = test_spawn("nobody_squatter", path, test_num(ready.wr), test_num(go.rd), hfile, NULL);
    ok = test_sync_wait(&ready, 10000);
    unlink(hfile);
    /* Record, then let the squatter go and clean up, then judge. */
    if (ok) {
        rc_open = mmf_section_open(&s, test_name("s"), MMF_ACCESS_READ);
        rc_ooc = mmf_section_create(&s, test_name("s"), 4096, MMF_OPEN_OR_CREATE, NULL);
        rc_new = mmf_section_create(&s, test_name("s"), 4096, MMF_CREATE_NEW, NULL);
        owner_kept = stat(path, &st) == 0 && st.st_uid == NOBODY;
    }
    test_sync_signal(go.wr);
    code = test_wait(pid);
    unlink(path);
    CHECK_EQ(code, 0);
    CHECK(ok);
    CHECK_RC(rc_open, MMF_EACCES);
    CHECK_RC(rc_ooc, MMF_EACCES);
    CHECK(rc_new == MMF_EACCES || rc_new == MMF_EEXIST);
    CHECK(owner_kept);
}

/* ------------------------------------------------------------------------ */
/* Planted file-backed objects                                               */
/* ------------------------------------------------------------------------ */

/* Rewrite the header of the object file at `store` to name the file at
 * `victim` as its data file (path and identity), as a hostile writer of
 * the object file would. */
static void point_header_at(const char *store, const char *victim)
{
    struct mmf__hdr h;
    struct stat st;
    int fd;

    CHECK_EQ(stat(victim, &st), 0);
    fd = open(store, O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    CHECK_EQ(pread(fd, &h, sizeof h, 0), sizeof h);
    snprintf(h.path, sizeof h.path, "%s", victim);
    h.path_len = (uint32_t)strlen(h.path);
    h.file_dev = (uint64_t)st.st_dev;
    h.file_ino = (uint64_t)st.st_ino;
    CHECK_EQ(pwrite(fd, &h, sizeof h, 0), sizeof h);
    close(fd);
}

/* argv: name, victim path, own file path, ready_wr, go_rd. As nobody:
 * create a file-backed Global\ section on a file of its own, then rewrite
 * the header (its own store file) to name the victim file instead. */
HELPER(nobody_plants_file_section)
{
    mmf_section_opts o = {.mode = 0644, .prot = MMF_PROT_READ | MMF_PROT_WRITE};
    char store[512];
    mmf_section *s;
    int fd;

    become_nobody();
    test_die_with_parent();
    CHECK_EQ(argc, 5);
    fd = open(argv[2], O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    CHECK_OK(mmf_section_create_fd(&s, argv[0], fd, 0, MMF_CREATE_NEW, &o));
    close(fd);
    snprintf(store, sizeof store, "/dev/shm/mmf.g0.%s", argv[0] + strlen("Global\\"));
    point_header_at(store, argv[1]);
    test_sync_signal(atoi(argv[3]));
    CHECK(test_await_fd(atoi(argv[4]), 30000));
    CHECK_OK(mmf_section_close(s));
    unlink(argv[2]);
    return 0;
}

/* Security: a Global\ object planted by another user, whose header names a
 * file of root's, must not lead root's open to map that file (root would
 * then write into it): the external file must belong to the object's
 * owner, so the open fails with MMF_EACCES and the file is untouched. */
TEST(planted_file_section_refused)
{
    struct test_sync ready, go;
    char name[300], victim[128], own[128], buf[16] = {0};
    mmf_section *s;
    pid_t pid;
    int fd, ok, rc = 0, code;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("p"));
    snprintf(victim, sizeof victim, "/tmp/mmf-test-%ld-victim", (long)getpid());
    snprintf(own, sizeof own, "/tmp/mmf-test-%ld-own", (long)getpid());
    unlink(own);
    fd = open(victim, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(pwrite(fd, "secret", 6, 0), 6);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    test_sync_init(&ready);
    test_sync_init(&go);
    pid = test_spawn("nobody_plants_file_section", name, victim, own,
                     test_num(ready.wr), test_num(go.rd), NULL);
    ok = test_sync_wait(&ready, 10000);
    if (ok) {
        rc = mmf_section_open(&s, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE);
        if (rc == 0)
            mmf_section_close(s);
    }
    test_sync_signal(go.wr);
    code = test_wait(pid);
    CHECK_EQ(pread(fd, buf, 6, 0), 6);
    close(fd);
    unlink(victim);
    unlink(own);
    CHECK_EQ(code, 0);
    CHECK(ok);
    CHECK_RC(rc, MMF_EACCES);
    CHECK(memcmp(buf, "secret", 6) == 0);
}

/* argv: store file, victim path. As nobody, who may write the object file
 * (mode 0666) but not the victim: point the header at the victim. */
HELPER(nobody_redirects_header)
{
    become_nobody();
    CHECK_EQ(argc, 2);
    point_header_at(argv[0], argv[1]);
    return 0;
}

/* argv: name. Open the section read-write as this (root) process and
 * write into it; the exit code is the open's result, negated. */
HELPER(root_opener)
{
    mmf_section *s;
    void *p = NULL;
    int rc;
    (void)argc;
    rc = mmf_section_open(&s, argv[0], MMF_ACCESS_READ | MMF_ACCESS_WRITE);
    if (rc != 0)
        return -rc;
    if (mmf_view_map(s, MMF_MAP_WRITE, 0, 0, 0, &p) == 0) {
        memcpy(p, "PWNED!", 6);
        mmf_view_unmap(p);
    }
    mmf_section_close(s);
    return 0;
}

/*
 * Security: root's own Global\ file-backed section, its object file
 * writable by everyone (mode 0666). Another user rewrites the header to
 * name a file of root's that it may not write; root's next open must not
 * follow it (everyone who could have written the header may not write
 * that file): MMF_EACCES, and the file is untouched. Before, a root-owned
 * object was followed anywhere.
 */
TEST(rewritten_header_cannot_redirect_root)
{
    mmf_section_opts o = {.mode = 0666, .prot = MMF_PROT_READ | MMF_PROT_WRITE};
    char name[300], victim[128], own[128], store[512], buf[8] = {0};
    mmf_section *s;
    int fd, vfd, code;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("r"));
    snprintf(store, sizeof store, "/dev/shm/mmf.g0.%s", test_name("r"));
    snprintf(victim, sizeof victim, "/tmp/mmf-test-%ld-victim", (long)getpid());
    snprintf(own, sizeof own, "/tmp/mmf-test-%ld-own", (long)getpid());
    vfd = open(victim, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
    CHECK(vfd >= 0);
    CHECK_EQ(pwrite(vfd, "secret", 6, 0), 6);
    CHECK_EQ(ftruncate(vfd, 4096), 0);
    fd = open(own, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 4096), 0);
    CHECK_OK(mmf_section_create_fd(&s, name, fd, 0, MMF_CREATE_NEW, &o));
    close(fd);
    CHECK_EQ(test_wait(test_spawn("nobody_redirects_header", store, victim, NULL)), 0);
    code = test_wait(test_spawn("root_opener", name, NULL));
    CHECK_EQ(pread(vfd, buf, 6, 0), 6);
    close(vfd);
    unlink(victim);
    unlink(own);
    CHECK_OK(mmf_section_close(s));
    CHECK(memcmp(buf, "secret", 6) == 0);
    CHECK_EQ(code, -MMF_EACCES);
}

/* ------------------------------------------------------------------------ */
/* Readers cannot block owners                                               */
/* ------------------------------------------------------------------------ */

#include <signal.h>
#include <sys/file.h>

/* Anything slower than this means a lock was waited for (the old gate gave
 * up after two seconds). */
#define PROMPT_MS 500

static long ms_since(uint64_t t0)
{
    return (long)((test_now_ns() - t0) / 1000000u);
}

/*
 * argv: store path, ready_wr, go1_rd, go2_rd. As nobody, with read
 * permission only: open the object file read-only, hold an exclusive
 * flock() and a blanket OFD read lock over the whole file; after go1 drop
 * the read lock (keeping the flock); after go2 exit.
 */
HELPER(nobody_lock_holder)
{
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0,
                       .l_len = 0};
    int fd;

    become_nobody();
    test_die_with_parent();
    CHECK_EQ(argc, 4);
    fd = open(argv[0], O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
    if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
        /* Someone's write lock is in the way (a channel claim kept on the
         * object file itself): lock everything around it, byte by byte
         * over the claim range. */
        const off_t claims = (off_t)1 << 40;
        fl.l_len = claims;
        CHECK_EQ(fcntl(fd, F_OFD_SETLK, &fl), 0);
        fl.l_len = 1;
        for (fl.l_start = claims; fl.l_start < claims + 1024; fl.l_start++)
            fcntl(fd, F_OFD_SETLK, &fl);
        fl.l_start = 0;
        fl.l_len = 0;
    }
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[2]), 30000));
    fl.l_type = F_UNLCK;
    CHECK_EQ(fcntl(fd, F_OFD_SETLK, &fl), 0);
    test_sync_signal(atoi(argv[1]));
    CHECK(test_await_fd(atoi(argv[3]), 30000));
    return 0;
}

/* argv: name. Open the section read-only promptly and close it. */
HELPER(prompt_opener)
{
    mmf_section *s;
    uint64_t t0 = test_now_ns();
    CHECK_EQ(argc, 1);
    CHECK_OK(mmf_section_open(&s, argv[0], MMF_ACCESS_READ));
    CHECK(section_says(s, "owner's data"));
    CHECK_OK(mmf_section_close(s));
    CHECK(ms_since(t0) < PROMPT_MS);
    return 0;
}

struct lock_holder {
    struct test_sync ready, go1, go2;
    pid_t pid;
};

/* Start nobody_lock_holder on the store file of Global\<key>. */
static void lock_holder_start(struct lock_holder *lh, const char *key)
{
    char path[512];
    CHECK(global_path(key, path, sizeof path));
    test_sync_init(&lh->ready);
    test_sync_init(&lh->go1);
    test_sync_init(&lh->go2);
    lh->pid = test_spawn("nobody_lock_holder", path, test_num(lh->ready.wr),
                         test_num(lh->go1.rd), test_num(lh->go2.rd), NULL);
    CHECK(test_sync_wait(&lh->ready, 10000));
}

static void lock_holder_end(struct lock_holder *lh)
{
    test_sync_signal(lh->go2.wr);
    CHECK_EQ(test_wait(lh->pid), 0);
}

/* Security (readers cannot block owners): a user with read permission only
 * holds an exclusive flock() and a read lock over the whole object file.
 * The owner's close, open-or-create and open, and another process's open,
 * are all prompt; once the reader holds only the flock, the owner's last
 * close removes the name. */
TEST(reader_locks_do_not_block_owner)
{
    mmf_section_opts o = {.mode = 0644};
    struct lock_holder lh;
    mmf_section *s, *t;
    char name[300];
    uint64_t t0;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("s"));
    CHECK_RC(mmf_section_create(&s, name, 65536, MMF_CREATE_NEW, &o), 0);
    write_text(s, "owner's data");
    lock_holder_start(&lh, test_name("s"));

    t0 = test_now_ns();
    CHECK_OK(mmf_section_close(s));
    CHECK(ms_since(t0) < PROMPT_MS);
    /* The reader's read lock is a reference: the name lives on. */
    t0 = test_now_ns();
    CHECK_RC(mmf_section_create(&s, name, 65536, MMF_OPEN_OR_CREATE, &o), MMF_EXISTED);
    CHECK(ms_since(t0) < PROMPT_MS);
    CHECK(section_says(s, "owner's data"));
    CHECK_EQ(test_wait(test_spawn("prompt_opener", name, NULL)), 0);
    t0 = test_now_ns();
    CHECK_OK(mmf_section_open(&t, name, MMF_ACCESS_READ | MMF_ACCESS_WRITE));
    CHECK(ms_since(t0) < PROMPT_MS);

    /* The reader keeps only the flock: the owner's handles are the last. */
    test_sync_signal(lh.go1.wr);
    CHECK(test_sync_wait(&lh.ready, 10000));
    CHECK_EQ(test_wait(test_spawn("prompt_opener", name, NULL)), 0);
    t0 = test_now_ns();
    CHECK_OK(mmf_section_close(t));
    CHECK_OK(mmf_section_close(s));
    CHECK(ms_since(t0) < PROMPT_MS);
    CHECK_EQ(test_store_count(test_name("s")), 0);
    CHECK_RC(mmf_section_open(&s, name, MMF_ACCESS_READ), MMF_ENOENT);
    lock_holder_end(&lh);
}

/* A channel endpoint of either kind, for the tests below. */
struct endpoint {
    int queue;
    mmf_ring *r;
    mmf_queue *q;
};

static int ep_open(struct endpoint *e, const char *kind, const char *name, int role,
                   int create)
{
    mmf_channel_opts o = {0, 0644, NULL};
    e->queue = strcmp(kind, "queue") == 0;
    if (e->queue)
        return create ? mmf_queue_create(&e->q, name, 4, 64, role, MMF_CREATE_NEW, &o)
                      : mmf_queue_open(&e->q, name, role, &o);
    return create ? mmf_ring_create(&e->r, name, 4096, role, MMF_CREATE_NEW, &o)
                  : mmf_ring_open(&e->r, name, role, &o);
}

static int ep_send(struct endpoint *e, const char *text, long long ms)
{
    return e->queue ? mmf_queue_send(e->q, text, strlen(text) + 1, ms)
                    : mmf_ring_send(e->r, text, strlen(text) + 1, ms);
}

static int ep_recv(struct endpoint *e, char *buf, size_t cap, long long ms)
{
    size_t len;
    return e->queue ? mmf_queue_recv(e->q, buf, cap, &len, ms)
                    : mmf_ring_recv(e->r, buf, cap, &len, ms);
}

static int ep_close(struct endpoint *e)
{
    return e->queue ? mmf_queue_close(e->q) : mmf_ring_close(e->r);
}

/* argv: kind, name, ready_wr. Attach as the consumer promptly, receive
 * until "hello", say so, and wait to be killed. */
HELPER(chan_consumer)
{
    struct endpoint e;
    char buf[64];
    uint64_t t0 = test_now_ns();

    test_die_with_parent();
    CHECK_EQ(argc, 3);
    CHECK_OK(ep_open(&e, argv[0], argv[1], MMF_ROLE_CONSUMER, 0));
    CHECK(ms_since(t0) < PROMPT_MS);
    do
        CHECK_OK(ep_recv(&e, buf, sizeof buf, 10000));
    while (strcmp(buf, "hello") != 0);
    test_sync_signal(atoi(argv[2]));
    for (;;)
        pause();
}

/* Start chan_consumer and wait until it received "hello" from p. */
static pid_t consumer_start(struct endpoint *p, const char *kind, const char *name,
                            struct test_sync *got)
{
    pid_t c = test_spawn("chan_consumer", kind, name, test_num(got->wr), NULL);
    uint64_t t0 = test_now_ns();
    int rc;
    /* MMF_EPIPE until the new consumer has attached. */
    while ((rc = ep_send(p, "hello", 10000)) == MMF_EPIPE && ms_since(t0) < 10000)
        test_sleep_ms(5);
    if (rc != 0 || !test_sync_wait(got, 10000)) {
        kill(c, SIGKILL);
        test_fail(__FILE__, __LINE__, "consumer could not attach (send %s, exit %d)",
                  mmf_err_name(rc), test_wait(c));
    }
    return c;
}

/* Security (readers cannot block owners), channels: a user with read
 * permission only holds an exclusive flock() and a read lock over the
 * whole channel file, claim range included. The real consumer still
 * attaches, its death is still seen (MMF_EPIPE), a new consumer takes its
 * place, and the last close removes the channel and its claims file. */
static void reader_cannot_block_channel(const char *kind)
{
    struct endpoint p;
    struct lock_holder lh;
    struct test_sync got;
    char name[300];
    pid_t c;
    int rc, sent = 0;

    need_root();
    snprintf(name, sizeof name, "Global\\%s", test_name("c"));
    CHECK_OK(ep_open(&p, kind, name, MMF_ROLE_PRODUCER, 1));
    CHECK_EQ(test_claims_count(test_name("c")), 1);
    lock_holder_start(&lh, test_name("c"));
    test_sync_init(&got);

    c = consumer_start(&p, kind, name, &got);
    kill(c, SIGKILL);
    CHECK_EQ(test_wait(c), 128 + SIGKILL);
    /* Fill the channel: the producer must then see the consumer gone. */
    while ((rc = ep_send(&p, "filler", 0)) == 0 && sent < 100000)
        sent++;
    CHECK(rc == MMF_EAGAIN || rc == MMF_EPIPE);
    CHECK_RC(ep_send(&p, "filler", 2000), MMF_EPIPE);

    /* A new consumer attaches, the reader's locks still in place. */
    c = consumer_start(&p, kind, name, &got);
    kill(c, SIGKILL);
    CHECK_EQ(test_wait(c), 128 + SIGKILL);

    /* Without the reader's read lock the producer's close is the last. */
    test_sync_signal(lh.go1.wr);
    CHECK(test_sync_wait(&lh.ready, 10000));
    CHECK_OK(ep_close(&p));
    CHECK_EQ(test_store_count(test_name("c")), 0);
    CHECK_EQ(test_claims_count(test_name("c")), 0);
    lock_holder_end(&lh);
}

TEST(reader_locks_do_not_block_ring)
{
    reader_cannot_block_channel("ring");
}

TEST(reader_locks_do_not_block_queue)
{
    reader_cannot_block_channel("queue");
}

/*
 * Inspection looks only at what a file really holds: a reserved section
 * of 64 TiB (anyone may make one, under Global\ too) is listed with its
 * residency at once. Before, mmf_object_stat mapped it 256 MiB at a time,
 * 262,144 windows, and `mmf ls` hung for everyone.
 */
TEST(huge_sparse_object_listed_promptly)
{
    mmf_section_opts o = {.flags = MMF_SECTION_RESERVE};
    mmf_object_info info;
    mmf_section *s;
    void *p = NULL;
    uint64_t t0;
    int rc = mmf_section_create(&s, test_name("big"), UINT64_C(1) << 46, MMF_CREATE_NEW, &o);
    if (rc == MMF_EFBIG || rc == MMF_ENOSPC || rc == MMF_ENOMEM)
        SKIP("the store cannot hold a 64 TiB sparse file (%s)", mmf_err_name(rc));
    CHECK_OK(rc);
    CHECK_OK(mmf_view_map(s, MMF_MAP_WRITE, 0, 1 << 20, 0, &p));
    memset(p, 1, 1 << 20); /* 1 MiB really there */
    t0 = test_now_ns();
    CHECK_OK(mmf_object_stat(test_name("big"), MMF_INFO_ALL, &info));
    printf("64 TiB reserved, 1 MiB written: stat took %.1f ms, resident %llu\n",
           (double)(test_now_ns() - t0) / 1e6, (unsigned long long)info.resident);
    CHECK(test_now_ns() - t0 < 2000000000u);
    CHECK(info.resident >= (1u << 20) && info.resident < (4u << 20));
    CHECK_OK(mmf_view_unmap(p));
    CHECK_OK(mmf_section_close(s));
}
