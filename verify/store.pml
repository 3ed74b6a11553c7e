/* SPDX-License-Identifier: MIT */
/*
 * store.pml - the object store's lifetime protocol (src/linux/store.c,
 * "REFERENCES AND LIFETIME"): one name, the object files (inodes) that
 * may be linked under it, and the OFD locks on their bytes 0 ("present")
 * and 1 ("established").
 *
 * Three worker processes each run one session: one creates the name
 * (CREATE_NEW; finding it taken, it opens it to reclaim it if stale), one
 * opens it, one reclaims it (`mmf gc`, the sweep); a session that got a
 * handle closes it. (A second creator is left out to keep the search
 * exhaustive within about 2 GB: exclusivity between creators rests on
 * linkat's EEXIST, and test/test-lifetime.c kill_storm races creators.) A killer may SIGKILL up to MAXKILL workers at any step:
 * a killed process's locks vanish at once (its descriptors close). The name
 * may start out linked to a stale object whose holders all died. When the
 * workers are done, a final reclaim (the next sweep or gc) runs.
 *
 * Every lock request is non-blocking (I5): a request either succeeds at
 * once or fails, so no process ever waits on another and the check for
 * invalid end states is the check for deadlock. The bounded retry loops of
 * the C code (open's back-off, its "undecided" limit, close's step-aside
 * rounds) are bounded here by small counters; where a limit is reached the
 * process records it (gaveup[p]) and the properties that the limit may
 * weaken are checked only without it.
 *
 * Properties:
 *   - create-new is exclusive: a create returns success only while no
 *     other object has a handle (monitor, and at the create);
 *   - no handle on an unlinked file (I4): whoever holds a handle that is
 *     not being closed holds one on the file the name leads to (monitor);
 *   - no resurrection: an open that succeeds on X started while X was live
 *     (had an owner, or had not been handed out yet); after the last
 *     handle was closed, or its holders all died, only a new object makes
 *     an open succeed;
 *   - the last close removes the name, unless an open is joining (holds
 *     "established"), or the close's step-aside rounds ran out;
 *   - no object file outlives its last holder beyond the next reclaim:
 *     after the final reclaim the name is gone;
 *   - no half-made object is ever opened.
 */
/* pan: -DCOLLAPSE -DSAFETY -DNOFAIR ; run: -m200000 */
/* broken: CLOSE_NO_CONVERT OPEN_NO_STILL_NAMED CREATE_LINK_FIRST RECLAIM_NO_I3 */

#define NP 4          /* workers 0..2, and 3: the final reclaim */
#define NW 3
#define NINO 5        /* inode 0: none; 1: initial stale object; 2+p: p's */
#define MAXKILL 1
#define ROUNDS 1      /* close's step-aside rounds (CLOSE_ROUNDS) */
#define RETRIES 1     /* open's retries before its limits */

#define UN 0
#define RD 1
#define WR 2

/* The file system and the locks. */
byte name;                 /* inode the name leads to, 0: none */
bool nlink[NINO];          /* linked (under the name: the only link) */
bool built[NINO];          /* complete: header and size written */
byte fdino[NP];            /* inode of p's object descriptor, 0: none */
byte l0[NP];               /* p's lock on byte 0: UN, RD, WR */
bool l1[NP];               /* p's read lock on byte 1 */
bool viewlk[NINO];         /* a view's mapping keeps a closed OFD (with
                              the write lock of a last close) alive */

/* Ghost state. */
byte owners[NINO];         /* handles returned and not yet closed */
byte holders[NINO];        /* the same, less those being closed */
bool dead[NINO];
bool gaveon[NINO];         /* a close of it ran out of rounds */
bool limitjoin[NINO];      /* an open joined it at its DECIDE limit */
bool hint[NP];              /* p's open saw others established */
bool diedon[NINO];         /* a process holding the inode was killed */
bool gaveup[NP];           /* p reached a bounded-retry limit */
bool killed[NP];
byte nkilled;
bool mine[NP];             /* p's session returned a handle */
bool closing[NP];
byte done;
byte hx[NP];               /* the inode of p's handle */

/* ---- locks, as the kernel grants them (F_OFD_SETLK / F_OFD_GETLK) ---- */

/* rd0: p may take a read lock on byte 0 of inode x */
#define RD0_FREE(p, x) (!viewlk[x] && \
    !(0 != p && fdino[0] == x && l0[0] == WR) && !(1 != p && fdino[1] == x && l0[1] == WR) && \
    !(2 != p && fdino[2] == x && l0[2] == WR) && !(3 != p && fdino[3] == x && l0[3] == WR))
#define WR0_FREE(p, x) (!viewlk[x] && \
    !(0 != p && fdino[0] == x && l0[0] != UN) && !(1 != p && fdino[1] == x && l0[1] != UN) && \
    !(2 != p && fdino[2] == x && l0[2] != UN) && !(3 != p && fdino[3] == x && l0[3] != UN))
/* others_lock(fd, BYTE_ESTABLISHED, 1) */
#define OTHERS_EST(p, x) ( \
    (0 != p && fdino[0] == x && l1[0]) || (1 != p && fdino[1] == x && l1[1]) || \
    (2 != p && fdino[2] == x && l1[2]) || (3 != p && fdino[3] == x && l1[3]))
#define ANY_EST(x) ((fdino[0] == x && l1[0]) || (fdino[1] == x && l1[1]) || \
    (fdino[2] == x && l1[2]) || (fdino[3] == x && l1[3]))
#define ANY_I3(x) ((fdino[0] == x && l0[0] == WR) || (fdino[1] == x && l0[1] == WR) || \
    (fdino[2] == x && l0[2] == WR) || (fdino[3] == x && l0[3] == WR))

/* close(fd): the description's locks go with it. */
inline close_fd(p)
{
    d_step { fdino[p] = 0; l0[p] = UN; l1[p] = 0 }
}

/* Ghost bookkeeping, inside the step that commits an open or create (its
 * "established" lock, or its link): from here on it returns a handle. */
inline handed_out(p, x)
{
    assert(built[x]);              /* never a half-made object */
    assert(name == x && nlink[x]); /* I4 */
    waslive = waslive || !dead[x];
    owners[x]++; holders[x]++; dead[x] = 0;
    mine[p] = 1; hx[p] = x
}

/* The close returned (or its process died). */
inline handle_gone(p, x)
{
    d_step {
        owners[x]--;
        if
        :: !closing[p] -> holders[x]--
        :: else -> skip
        fi;
        dead[x] = (owners[x] == 0);
        mine[p] = 0; closing[p] = 0; hx[p] = 0
    }
}

/* ---- open_path (and open_object_fd, still_named, try_remove_stale) ---- */

/* Result in rc: 0 success (x holds the inode), 1 absent (ENOENT), 2 busy. */
inline open_path(p, x, rc)
{
    tries = 0;
    rc = 255;
    do
    :: rc != 255 -> break
    :: else ->
        /* open_object_fd: open(path) */
        d_step {
            if
            :: name == 0 -> rc = 1
            :: else -> x = name; fdino[p] = x; waslive = !dead[x]
            fi
        };
        if
        :: rc == 1 -> break
        :: else -> skip
        fi;
        /* Fast path: established handles exist, join them at once. */
        if
        :: d_step { OTHERS_EST(p, x) -> waslive = waslive || !dead[x] }
            /* ref_lock(fd, F_RDLCK): both bytes in one request */
            /* and fstat: st_nlink > 0, still named (one step: while
             * it is present nobody can unlink the name, I3) */
            if
            :: d_step { RD0_FREE(p, x) -> l0[p] = RD; l1[p] = 1;
#ifndef BROKEN_OPEN_NO_STILL_NAMED
                    if
                    :: nlink[x] -> handed_out(p, x); rc = 0; hint[p] = 1
                    :: else -> fdino[p] = 0; l0[p] = UN; l1[p] = 0 /* again */
                    fi
#else
                    handed_out(p, x); rc = 0; hint[p] = 1
#endif
                }
            :: else -> close_fd(p)       /* being removed (I3): back off */
            fi
        :: else ->
            /* Slow path: take "present" alone and decide. */
            if
            :: atomic { RD0_FREE(p, x) -> l0[p] = RD }
                if
                :: !nlink[x] -> close_fd(p)    /* still_named: no */
                :: else ->
                    if
                    :: d_step { OTHERS_EST(p, x) -> waslive = waslive || !dead[x] }
                        /* ref_lock: established */
                        d_step { l1[p] = 1; handed_out(p, x); rc = 0 }
                    :: else ->
                        /* try_remove_stale: I3, then still_named, unlink */
                        if
                        :: atomic { WR0_FREE(p, x) -> l0[p] = WR }
                            d_step { if :: name == x -> name = 0; nlink[x] = 0
                                        :: else -> skip fi };
                            close_fd(p); rc = 1
                        :: else ->
                            /* others present, none established: look
                             * again, until DECIDE_LIMIT_NS: then join */
                            if
                            :: tries < RETRIES -> close_fd(p)
                            :: else ->
                                d_step { l1[p] = 1; gaveup[p] = 1; limitjoin[x] = 1;
                                         handed_out(p, x); rc = 0 }
                            fi
                        fi
                    fi
                fi
            :: else -> close_fd(p)
            fi
        fi;
        if
        :: rc == 255 ->
            /* backoff(): OPEN_LIMIT_NS gives MMF_EBUSY */
            if
            :: tries < RETRIES -> tries++
            :: else -> rc = 2; gaveup[p] = 1
            fi
        :: else -> skip
        fi;
        /* no resurrection: the object was live at some instant of the
         * open (when it began, or when it committed) */
        assert(rc != 0 || waslive || gaveup[p] || limitjoin[x])
    od;
    skip;
    d_step { tries = 0; waslive = 0 }
}

/* ---- leave: the close protocol ---- */

inline unlink_if_named(x)
{
    d_step { if :: name == x -> name = 0; nlink[x] = 0 :: else -> skip fi }
}

inline leave(p, x)
{
    round = 0; dropped = 0; left = 0; byi3 = 0;
    d_step { closing[p] = 1; holders[x]-- };
    /* ref.others: the open saw others established, so the probe comes
     * before the conversion; a created object tries the conversion first */
    if
    :: hint[p] -> tried = 0; e = 1
    :: else -> tried = 1;
       if
       :: atomic { WR0_FREE(p, x) -> l0[p] = WR; e = 0 }
       :: else -> e = 1
       fi
    fi;
    do
    :: e == 0 ->
        /* Alone, and nobody can join (I3): unlink if still ours. */
        unlink_if_named(x);
        /* close(): no unlock first; a view may keep the write lock on
         * the unlinked file */
        d_step {
            viewlk[x] = 1;   /* (always: the worst case for others) */
            fdino[p] = 0; l0[p] = UN; l1[p] = 0
        };
        left = 1;
        break
    :: else ->
        if
        :: !dropped -> d_step { l1[p] = 0; dropped = 1 }
        :: else -> skip
        fi;
#ifndef BROKEN_CLOSE_NO_CONVERT
        if
        :: OTHERS_EST(p, x) -> break   /* they decide later */
        :: else -> skip
        fi;
#else
        if
        :: OTHERS_EST(p, x) -> break
        :: else -> unlink_if_named(x); break
        fi;
#endif
        if
        :: !tried ->
            tried = 1;
            if
            :: atomic { WR0_FREE(p, x) -> l0[p] = WR; e = 0 }
            :: else -> skip
            fi
        :: else ->
            if
            :: round >= ROUNDS -> gaveup[p] = 1; gaveon[x] = 1; break
            :: else -> round++
            fi;
            /* step aside: drop "present", retake it */
            d_step { l0[p] = UN };
            if
            :: atomic { RD0_FREE(p, x) -> l0[p] = RD }
            :: else -> left = 1; byi3 = 1; break   /* someone holds I3 */
            fi;
            if
            :: name != x -> break        /* removed already */
            :: else -> skip
            fi;
            if
            :: atomic { WR0_FREE(p, x) -> l0[p] = WR; e = 0 }
            :: else -> skip
            fi
        fi
    od;
    close_fd(p);   /* unlock bytes 0-1 (unless left to close), close */
    /* the last close removes the name, unless someone joins */
    d_step {
        assert(owners[x] != 1 || gaveon[x] || diedon[x] || byi3 || name != x ||
               ANY_EST(x) || ANY_I3(x));
    }
    handle_gone(p, x);
    d_step { round = 0; tried = 0; dropped = 0; left = 0; byi3 = 0; e = 0; hint[p] = 0 }
}

/* ---- mmf__os_obj_create (build_object, linkat) ---- */

inline create(p, x, rc)
{
    attempt = 0;
    rc = 255;
    do
    :: rc != 255 -> break
    :: else ->
        /* build_object: O_TMPFILE, size, header */
        d_step { x = 2 + p; nlink[x] = 0; built[x] = 1; fdino[p] = x };
#ifndef BROKEN_CREATE_LINK_FIRST
        d_step { l0[p] = RD; l1[p] = 1 };    /* ref_lock, before linkat */
#endif
        /* linkat: fails if the name exists (EEXIST) */
        d_step {
            if
            :: name == 0 -> name = x; nlink[x] = 1; rc = 0;
                /* exclusive: no other object has a handle */
                assert(holders[1] == 0 || x == 1); assert(holders[2] == 0 || x == 2);
                assert(holders[3] == 0 || x == 3); assert(holders[4] == 0 || x == 4);
                handed_out(p, x)
            :: else -> rc = 3
            fi
        };
#ifdef BROKEN_CREATE_LINK_FIRST
        d_step { l0[p] = RD; l1[p] = 1 };
#endif
        if
        :: rc == 0 -> skip
        :: else ->
            close_fd(p);
            /* CREATE_NEW: the name exists; reclaim it if stale */
            open_path(p, y, rc);
            if
            :: rc == 0 -> leave(p, y); rc = 3      /* MMF_EEXIST */
            :: rc == 1 && attempt < 1 -> attempt++; rc = 255
            :: else -> rc = 3
            fi
        fi
    od;
    skip;
    d_step { attempt = 0; y = 0 }
}

/* ---- mmf__linux_reclaim (gc, and the sweep's second look) ---- */

inline reclaim(p, x)
{
    d_step {
        if
        :: name == 0 -> x = 0
        :: else -> x = name; fdino[p] = x
        fi
    };
    if
    :: x != 0 ->
        if
        :: atomic { RD0_FREE(p, x) -> l0[p] = RD }
            if
            :: nlink[x] && !OTHERS_EST(p, x) ->
#ifndef BROKEN_RECLAIM_NO_I3
                if
                :: atomic { WR0_FREE(p, x) -> l0[p] = WR }
                    unlink_if_named(x)
                :: else -> skip                   /* MMF_EBUSY */
                fi
#else
                unlink_if_named(x)
#endif
            :: else -> skip
            fi
        :: else -> skip
        fi;
        close_fd(p)
    :: else -> skip
    fi
}

/* ---- the processes ---- */

proctype worker(byte p)
{
    byte x, y, rc, tries, round, attempt;
    bool waslive, tried, dropped, left, byi3;
    bit e;
    {
        /* roles: 0 creates (a create that finds the name opens it, to
         * reclaim it if stale); 1 opens; 2 reclaims */
        if
        :: p == 0 -> create(p, x, rc)
        :: p == 1 -> open_path(p, x, rc)
        :: p == 2 -> reclaim(p, x); rc = 1
        fi;
        if
        :: rc == 0 -> leave(p, x)
        :: else -> skip
        fi
    } unless { killed[p] };
    if
    :: killed[p] ->
        /* SIGKILL: every lock of the process vanishes at once */
        d_step {
            if :: fdino[p] != 0 -> diedon[fdino[p]] = 1 :: else -> skip fi;
            fdino[p] = 0; l0[p] = UN; l1[p] = 0;
            if
            :: mine[p] ->
                diedon[hx[p]] = 1;
                owners[hx[p]]--;
                if :: !closing[p] -> holders[hx[p]]-- :: else -> skip fi;
                dead[hx[p]] = (owners[hx[p]] == 0);
                mine[p] = 0; closing[p] = 0; hx[p] = 0
            :: else -> skip
            fi
        }
    :: else -> skip
    fi;
    d_step { done++ }
}

proctype killer()
{
    do
    :: nkilled < MAXKILL && done < NW ->
        if
        :: !killed[0] -> killed[0] = 1
        :: !killed[1] -> killed[1] = 1
        :: !killed[2] -> killed[2] = 1
        fi;
        nkilled++
    :: break
    od
}

/* The invariants that hold in every state. */
proctype monitor()
{
end:
    atomic {
        ((holders[1] > 0 && name != 1) || (holders[2] > 0 && name != 2) ||
         (holders[3] > 0 && name != 3) || (holders[4] > 0 && name != 4)) ->
        assert(false)
    }
}

init
{
    byte rx;
    atomic {
        /* the name may start out stale: its holders all died */
        if
        :: name = 0
        :: name = 1; nlink[1] = 1; built[1] = 1; dead[1] = 1
        fi;
        run monitor();
        run killer();
        run worker(0);
        run worker(1);
        run worker(2)
    };
    done == NW;
    /* the next reclaim: nobody holds anything, so the name goes */
    reclaim(3, rx);
    assert(name == 0)
}
