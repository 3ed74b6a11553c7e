/* SPDX-License-Identifier: MIT */
/* pan: -DCOLLAPSE -DSAFETY ; run: -m1000000 */
/* configs: -DTOTAL=2 | -DTOTAL=3 -DNO_C1 */
/* broken: PRODUCER_TAKES_KEPT NO_INHERIT NO_OWNER_CHECK TAKER_SKIPPED */
/*
 * adopt.pml - MMF_CHANNEL_REDELIVER in the MPMC queue of src/queue.c: how
 * a dead consumer's messages are kept and adopted (invariants K1-K4 in the
 * comment at the top of src/queue.c). One producer sends messages
 * through two slots. C0 (claim slot 0, with the flag) takes batches of up
 * to two from head and is killed at any step. R is C0 restarted: it
 * attaches in claim slot 0 once C0 is dead, and so inherits C0's record.
 * C1 (claim slot 1, without the flag) takes or adopts one message, then
 * stays attached and idle. C1 and R adopt before their first take and
 * when they find the queue empty. Two searches (`configs`, above):
 *  - two messages, with C1: the races of adopters with each other and
 *    with a taker from head (K2, K3);
 *  - three messages, so that positions wrap around and the producer meets
 *    a kept slot, without C1 (K1, K3).
 * A search with both (three messages and C1) stores 190 million states
 * in 11 GB, too much for every run of the suite; with it, dropping the
 * re-check of seq after the CAS loses a message (it is the only search
 * that shows that).
 *
 * What is checked, in every interleaving:
 *  - no two live consumers hold one message (assertion where a consumer
 *    wins a position, from head or by adoption);
 *  - a message is delivered a second time only if a consumer died
 *    holding it (assertion at the copy-out);
 *  - when nothing can move any more (SPIN's timeout), every committed
 *    message was delivered, and the producer sent everything. A producer
 *    that takes a kept slot back, and a kept message nobody adopts, show
 *    here.
 *
 * Left out: the producer's death and the skip path (queue.pml checks
 * them), deaths of C1 and R (a search with them does not end within
 * 20 GB), and hostile writers. Waiting is modelled as in queue.pml: an
 * EMPTY wait ends when the data word or `orphans` changes, when an
 * endpoint dies, or when the timed look (RECHECK_NS) would find a kept
 * message (a look that finds nothing changes nothing); a STUCK wait may
 * end at any time. Each statement is one load or store of a shared word
 * as the C code does it; an atomic block is one read-modify-write or a
 * few adjacent loads. SPIN interleaves sequentially consistently: the C
 * code's fences and release/acquire orderings make the hardware agree.
 */

#define N 2          /* slots */
#ifndef TOTAL
#define TOTAL 3      /* messages: positions 0 .. TOTAL - 1 (at most 3) */
#endif
#define KILLS 1
#define MAXB 2

byte tail, head;
byte seq[N];
byte data[N];        /* message id (position + 1) */
byte spare[N];       /* adoption word: adoptions * 4 + (claim slot + 1) */
byte rfirst[2];      /* records of claim slots 0 and 1: first position + 1 */
byte rcnt[2];        /* ... and how many */
bool rkeep[2];       /* REC_KEEP */
bool radopt[2];      /* REC_ADOPT */
bool alive[2];       /* the claims */
byte data_word, room_word, orphans, deaths, kills;

/* Ghosts. */
bool committed[TOTAL + 1];
byte delivered[TOTAL + 1];
bool mayrepeat[TOTAL + 1];  /* a consumer died holding it */
byte gown[N];               /* who holds the slot's message: process + 1 */
bool galive[3];             /* C0, C1, R */

/* A kill point of C0, after every shared write: it may die here. */
#define KP \
    if \
    :: atomic { kills < KILLS -> kills++ }; goto killed \
    :: true \
    fi

/* Record i covers position p, with first f and count c read from it. */
#define covers(f, c, p) (f != 0 && f - 1 <= p && p < f - 1 + c)

/* What a consumer's timed look would find: a dead record marked keep
 * that names a committed message behind head. */
#define kept_at(i, p) (rfirst[i] != 0 && rkeep[i] && !alive[i] && \
    covers(rfirst[i], rcnt[i], p) && p < head && head - p <= N && seq[(p) % N] == (p) + 1)
#define findable(i) (kept_at(i, 0) || kept_at(i, 1) || kept_at(i, 2))   /* TOTAL <= 3 */

proctype producer()
{
    byte t, s, sq, hh, prev, seen, d0, i, f, c;
    bool live, kept, k, al;

    do
    :: t == TOTAL -> break
    :: else ->
        do
        :: atomic { seen = room_word; d0 = deaths; s = t % N; sq = seq[s] };
            if
            :: sq == t -> break
            :: else
            fi;
            assert(t >= N);
            prev = t - N;
            assert(sq == prev + 1);   /* committed, not given back */
            hh = head;
            if
            :: hh <= prev ->
                /* full: wait for room */
                end_full:
                (room_word != seen || deaths != d0)
            :: else ->
                /* holder(): the consumer records */
                live = 0; kept = 0; i = 0;
                do
                :: i < 2 ->
                    f = rfirst[i];
                    atomic { c = rcnt[i]; k = rkeep[i]; al = alive[i] };
                    if
                    :: covers(f, c, prev) && al -> live = 1
                    :: covers(f, c, prev) && !al && k -> kept = 1
                    :: else
                    fi;
                    i++
                :: else -> break
                od;
#ifdef BROKEN_PRODUCER_TAKES_KEPT
                kept = 0;
#endif
                if
                :: live -> skip        /* STUCK: look again after STUCK_NS */
                :: !live && kept ->
                    /* K1, K4: leave it, tell the consumers, wait */
                    orphans++;
                    data_word++;
                    end_kept:
                    (room_word != seen || deaths != d0)
                :: else ->
                    /* nobody may write it: take the slot back */
                    atomic {
                        if
                        :: seq[s] == sq ->
                            assert(delivered[data[s]] > 0);
                            gown[s] = 0;
                            seq[s] = t
                        :: else
                        fi
                    }
                fi
            fi;
            atomic { s = 0; sq = 0; hh = 0; prev = 0; i = 0; f = 0; c = 0; live = 0; kept = 0; k = 0; al = 0 }
        od;
        tail = t + 1;
        /* fill, spare = 0, then seq = t + 1 (the slot is private until then) */
        atomic { data[s] = t + 1; spare[s] = 0; seq[s] = t + 1; committed[t + 1] = 1 };
        data_word++;
        atomic { t++; s = 0; sq = 0; seen = 0; d0 = 0 }
    od
}

/*
 * C0: a consumer with the flag that takes batches of up to two from head
 * (record_set(), CAS on head), copies them out and releases them, and is
 * killed at any step. (It never has anything to adopt: the only other
 * record is C1's, without the flag.)
 */
proctype victim()
{
    byte h, s, sq, k, j, id, seen, d0;

    do
    :: atomic { seen = data_word; d0 = deaths; h = head };
        atomic { s = h % N; sq = seq[s] };
        if
        :: sq == h + 1 ->
            atomic {
                k = 1;
                if
                :: seq[(h + 1) % N] == h + 2 -> k = 2
                :: else
                fi
            };
            atomic { rcnt[0] = k; rkeep[0] = 1; radopt[0] = 0 }; KP;
            rfirst[0] = h + 1; KP;
            if
            :: atomic {
                   head == h -> head = h + k;
                   assert(gown[h % N] == 0);
                   gown[h % N] = 1;
                   if
                   :: k == 2 -> assert(gown[(h + 1) % N] == 0); gown[(h + 1) % N] = 1
                   :: else
                   fi
               };
                KP;
                j = 0;
                do
                :: j < k ->
                    d_step {
                        id = data[(h + j) % N];
                        assert(id == h + j + 1 && committed[id]);
                        delivered[id]++;
                        assert(delivered[id] == 1 || mayrepeat[id])
                    };
                    KP;
                    j++
                :: else -> break
                od;
                j = 0;
                do
                :: j < k ->
                    atomic { gown[(h + j) % N] = 0; seq[(h + j) % N] = h + j + N }; KP;
                    j++
                :: else -> break
                od;
                room_word++; KP
            :: atomic { else -> rfirst[0] = 0 }; KP
            fi
        :: sq > h + 1 -> skip
        :: else ->
            end_empty:
            if
            :: data_word != seen
            :: deaths != d0
            fi
        fi;
        atomic { h = 0; s = 0; sq = 0; k = 0; j = 0; id = 0; seen = 0; d0 = 0 }
    od;
killed:
    skip;
    /* The claim vanishes; what it held comes again. */
    d_step {
        galive[0] = 0;
        alive[0] = 0;
        deaths++;
        j = 0;
        do
        :: j < N ->
            if
            :: gown[j] == 1 -> mayrepeat[data[j]] = 1
            :: else
            fi;
            j++
        :: else -> break
        od
    }
}

/*
 * C1 (me 1, claim slot 1, without the flag) or R (me 2: C0 restarted in
 * claim slot 0, with the flag): take(), with the adoption of kept messages.
 * Neither is killed.
 */
proctype consumer(byte me; byte sl; bool keep)
{
    byte h, s, sq, k, j, p, f, c, v, o, hh, seen, d0, oseen, pend_pos, pend_end, nrun, rp, id, got;
    byte takes;
    bool lookn, ok, a, al, kk, taker;

    if
    :: me == 2 ->
        /* R attaches once C0 is dead, in its claim slot */
        end_restart:
        atomic { kills > 0 && !galive[0] -> alive[sl] = 1; galive[me] = 1 };
        f = rfirst[sl];
        atomic { c = rcnt[sl]; kk = rkeep[sl] };
#ifdef BROKEN_NO_INHERIT
        kk = 0;
#endif
        if
        :: f != 0 && kk && c > 0 && c <= N ->
            /* K3: keep it, adopt its positions first */
            pend_pos = f - 1;
            pend_end = f - 1 + c;
            rfirst[sl] = pend_pos + 1;
            atomic { rcnt[sl] = pend_end - pend_pos; rkeep[sl] = 1; radopt[sl] = 1 }
        :: else ->
            rfirst[sl] = 0;
            atomic { rcnt[sl] = 0; rkeep[sl] = 0; radopt[sl] = 0 }
        fi
    :: else
    fi;
    lookn = 1;
    oseen = orphans;

    do
    :: me == 1 && takes == 1 ->
        /* C1 stays attached and idle after one delivery */
        end_idle:
        false
    :: else ->
        /* take(): the pending range first */
        got = 0;
        if
        :: pend_pos != pend_end -> goto pending
        :: else
        fi;
        if
        :: lookn -> lookn = 0; goto scan
        :: else
        fi;
take_new:
        atomic { seen = data_word; d0 = deaths; h = head };
        atomic { s = h % N; sq = seq[s] };
        if
        :: sq == h + 1 ->
            atomic {
                k = 1;
                if
                :: me != 1 && seq[(h + 1) % N] == h + 2 -> k = 2   /* C1 takes one */
                :: else
                fi
            };
            /* record_set(): count, then first */
            atomic { rcnt[sl] = k; rkeep[sl] = keep; radopt[sl] = 0 };
            rfirst[sl] = h + 1;
            if
            :: atomic {
                   head == h -> head = h + k;
                   assert(gown[h % N] == 0);
                   gown[h % N] = me + 1;
                   if
                   :: k == 2 -> assert(gown[(h + 1) % N] == 0); gown[(h + 1) % N] = me + 1
                   :: else
                   fi
               };
                rp = h; got = k;
                goto deliver
            :: atomic { else -> rfirst[sl] = 0 }; goto take_new
            fi
        :: sq > h + 1 -> goto take_new    /* head moved */
        :: else ->
            /* nothing at head (its previous lap may still be held) */
            if
            :: orphans != oseen -> goto scan
            :: else
            fi;
            end_empty:
            if
            :: data_word != seen
            :: orphans != oseen
            :: deaths != d0 -> lookn = 1
            :: findable(1 - sl) -> lookn = 1   /* the timed look */
            fi;
            goto next
        fi;

scan:   /* adopt_scan(): the other claim slot's record */
        oseen = orphans;
        hh = head;
        f = rfirst[1 - sl];
        atomic { c = rcnt[1 - sl]; kk = rkeep[1 - sl] };
        if
        :: f == 0 || !kk || c == 0 || c > N -> goto take_new
        :: else
        fi;
        j = 0;
        do
        :: j < c && !(f - 1 + j < hh && hh - (f - 1 + j) <= N && seq[(f - 1 + j) % N] == f + j) -> j++
        :: else -> break
        od;
        if
        :: j == c || alive[1 - sl] -> goto take_new
        :: else
        fi;
        /* record_adopt(): first, then count */
        pend_pos = f - 1 + j;
        pend_end = f - 1 + c;
        rfirst[sl] = pend_pos + 1;
        atomic { rcnt[sl] = pend_end - pend_pos; rkeep[sl] = 1; radopt[sl] = 1 };

pending:    /* adopt_pending(): a run of positions won, at most MAXB */
        nrun = 0;
        do
        :: pend_pos == pend_end || nrun == MAXB || (me == 1 && nrun == 1) -> break
        :: else ->
            /* adopt_one(pend_pos) */
            /* the word, head and seq: adjacent loads, one step */
            atomic { p = pend_pos; v = spare[p % N]; hh = head; sq = seq[p % N];
                     ok = (p < hh && hh - p <= N && sq == p + 1) };
            if
            :: ok ->
                /* a live taker from head (adopters' records do not count) */
                f = rfirst[1 - sl];
                atomic { c = rcnt[1 - sl]; a = radopt[1 - sl]; al = alive[1 - sl] };
                if
                :: covers(f, c, p) && !a && al -> ok = 0; taker = 1
                :: else
                fi
            :: else
            fi;
#ifdef BROKEN_TAKER_SKIPPED
            taker = 0;
#endif
#ifndef BROKEN_NO_OWNER_CHECK
            if
            :: ok ->
                /* the last adopter, if alive and still naming it */
                o = v % 4;
                if
                :: o != 0 && o - 1 != sl ->
                    f = rfirst[o - 1];
                    atomic { c = rcnt[o - 1]; al = alive[o - 1] };
                    if
                    :: covers(f, c, p) && al -> ok = 0
                    :: else
                    fi
                :: else
                fi
            :: else
            fi;
#endif
            if
            :: ok ->
                atomic {
                    if
                    :: spare[p % N] == v -> spare[p % N] = (v / 4 + 1) * 4 + sl + 1
                    :: else -> ok = 0
                    fi
                };
            :: else
            fi;
            if
            :: ok -> ok = (seq[p % N] == p + 1)
            :: else
            fi;
            atomic { f = 0; c = 0; a = 0; al = 0; o = 0; v = 0; hh = 0; sq = 0 };
            if
            :: ok ->
                atomic {
                    /* K2: nobody alive holds it */
                    assert(gown[p % N] == 0 || !galive[gown[p % N] - 1]);
                    gown[p % N] = me + 1
                };
                if
                :: nrun == 0 -> rp = p
                :: else
                fi;
                nrun++;
                pend_pos++
            :: !ok && nrun > 0 -> break
            :: !ok && taker -> break    /* STUCK: look again later */
            :: else -> pend_pos++
            fi
        od;
        if
        :: nrun == 0 && taker -> goto next
        :: else
        fi;
        if
        :: nrun == 0 ->
            rfirst[sl] = 0;     /* done: name nothing */
            pend_pos = pend_end;
            goto take_new
        :: else
        fi;
        /* The record keeps naming the whole range until it is done. */
        got = nrun;

deliver:    /* copy out, then release_batch() */
        j = 0;
        do
        :: j < got ->
            d_step {
                id = data[(rp + j) % N];
                assert(id == rp + j + 1 && committed[id]);
                delivered[id]++;
                assert(delivered[id] == 1 || mayrepeat[id])
            };
            j++
        :: else -> break
        od;
        j = 0;
        do
        :: j < got ->
            atomic { gown[(rp + j) % N] = 0; seq[(rp + j) % N] = rp + j + N };
            j++
        :: else -> break
        od;
        room_word++;
        takes = takes + (me == 1);
next:
        atomic { h = 0; s = 0; sq = 0; k = 0; j = 0; p = 0; f = 0; c = 0; v = 0; o = 0; hh = 0;
                 seen = 0; d0 = 0; nrun = 0; rp = 0; id = 0; got = 0; ok = 0; a = 0; al = 0; kk = 0;
                 taker = 0 }
    od;
}

/* When nothing can move any more. */
active proctype monitor()
{
    byte i;
    timeout ->
    i = 1;
    do
    :: i <= TOTAL ->
        assert(!committed[i] || delivered[i] > 0 ||
               (!galive[0] && !galive[1] && !galive[2]));
        i++
    :: else -> break
    od;
    assert(tail == TOTAL || (!galive[0] && !galive[1] && !galive[2]))
}

init
{
    atomic {
        seq[1] = 1;   /* all-zero memory: slot i free for position i */
        alive[0] = 1;
        galive[0] = 1;
#ifndef NO_C1
        alive[1] = 1;
        galive[1] = 1;
#endif
        run producer();
        run victim();
#ifndef NO_C1
        run consumer(1, 1, 0);
#endif
        run consumer(2, 0, 1)
    }
}
