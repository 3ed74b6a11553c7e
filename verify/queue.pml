/* SPDX-License-Identifier: MIT */
/* pan: -DCOLLAPSE -DSAFETY -DMEMLIM=2048 ; run: -m200000 */
/* broken: RELEASE_BEFORE_COPY SEQ_BEFORE_DATA WAITER_NOT_COUNTED NO_RECHECK NO_RESCUE RECORD_AFTER_CAS BATCH_RECORD_FIRST SKIP_KEEPS_LEN */
/*
 * queue.pml - the MPMC queue of src/queue.c: two producers, one consumer
 * (two with -DCONSUMERS2: the second takes one message and closes), two
 * slots (messages wrap around), batches of one or two messages, and one
 * endpoint killed at any step (see README.md, "MPMC queue", for where
 * each step is in the C code). The checked configuration has one
 * consumer: with the second one the search does not end within 60 s and
 * 4 GB (more than 60 million states).
 *
 * What is checked, in every interleaving:
 *  - no message is delivered twice, and only committed messages are
 *    delivered (assertions at the copy-out in the consumers);
 *  - a slot that a consumer gives back holds a length (not 0) exactly when
 *    its position was committed: the consumer that skips a dead producer's
 *    reservation clears the length the reservation stored, so that
 *    mmf_queue_committed() can tell afterwards (assertions at each give-
 *    back by a consumer; a producer taking back a slot from a consumer
 *    that died while skipping is the documented exception, unchecked);
 *  - when everything has stopped (SPIN's timeout: no process can move),
 *    every committed message was delivered exactly once or is lost by the
 *    documented rule (its consumer died after taking it and before copying
 *    it out), and every live producer sent all its messages unless every
 *    consumer is gone: this is also where a lost wake-up or a deadlock
 *    shows, as a sleeper that nobody wakes with a message waiting for it.
 *
 * Shared variables are the words of struct qctl, the slots and the
 * records. Each statement is one load or store of one of them, as the C
 * code does it; an atomic block is one read-modify-write. SPIN interleaves
 * sequentially consistently: the release/acquire orderings and full
 * fences of the C code (README.md) are what make the hardware behave so.
 *
 * Time is left out: a STUCK_NS wait before looking for a dead holder may
 * last any time, and so may every wait. A STUCK wait (STUCK_NS) may end
 * at any time. An EMPTY wait ends when the word changes, when the other
 * role is gone, or (the timed re-check, RECHECK_NS) when an endpoint died
 * after the waiter looked: a re-check with nothing changed would only
 * repeat what it saw, so this is the timed wait with the repetitions left
 * out, and a waiter nobody wakes shows as a deadlock.
 */

#define N 2          /* slots */
#define MSGS(p) (2 - (p))   /* messages of producer p: 2 and 1 */
#define TOTAL 3             /* message ids 1..TOTAL */
#define KILLS 1

#define EMPTY 1
#define STUCK 2
#define EPIPE 3

byte tail, head;
byte seq[N];         /* the slot's sequence (C stores seq - slot index) */
byte data[N];        /* the message id written into the slot */
byte rfirst[4];      /* records: first position + 1 (0: none) ... */
byte rcnt[4];        /* ... and how many; producers 0, 1, consumers 2, 3 */
bool alive[4];       /* the endpoint's claim */
byte data_word, data_waiters, room_word, room_waiters;
byte deaths;
byte kills;
bool slen[N];        /* the slot's length is not 0 */

/* Ghosts: what the property talks about. */
bool committed[TOTAL + 1];
byte delivered[TOTAL + 1];
bool lost[TOTAL + 1];
bool pcomm[N];       /* the slot's position (this lap) was committed */
byte psent[2];
byte hfirst[2], hcnt[2], hcopied[2];   /* a consumer's taken batch */

/* notify(): the fence is implicit; the look at *waiters and the bump are
 * two steps, and an endpoint may die between them. */
#define notify(word, waiters, w) \
    w = waiters; \
    atomic { \
        if \
        :: w != 0 -> word = word + 1 \
        :: else \
        fi; \
        w = 0 \
    }

/* holder_alive(): a live claim whose record covers p. */
#ifdef BROKEN_BATCH_RECORD_FIRST
#define covers(i, p) (rfirst[i] != 0 && rfirst[i] - 1 == p)
#else
#define covers(i, p) (rfirst[i] != 0 && rfirst[i] - 1 <= p && p < rfirst[i] - 1 + rcnt[i])
#endif
#define holder_alive(first, p, ok) \
    ok = (alive[first] && covers(first, p) || alive[first + 1] && covers(first + 1, p))

/* The end of run()'s wait: mmf__chan_wait on the word, or the other
 * role gone, or the timed re-check after a death. */
#ifdef BROKEN_NO_RESCUE
#define rescue(d0) false
#else
#define rescue(d0) (deaths != d0)
#endif

/* A kill point, after every shared write: the endpoint may die here. A
 * death between two writes looks to everyone else exactly like one right
 * after the first (what an endpoint only reads changes nothing), so these
 * are all the deaths there are. */
#define KP \
    if \
    :: atomic { kills < KILLS -> kills++ }; goto killed \
    :: true \
    fi

proctype producer(byte me)
{
    byte t, s, sq, hh, prev, k, j, want, seen, d0, w, rc;
    bool counted, gone, ok;

    KP;
    do
        :: psent[me] == MSGS(me) -> break
        :: else ->
            want = MSGS(me) - psent[me];   /* producer 0 asks for a batch of 2 */
            /* run() */
            counted = 0;
            do
            :: /* the look at the word, then give(): its first load of tail
                 * (two adjacent loads, one step) */
                atomic { seen = room_word; d0 = deaths; s = 0; sq = 0; hh = 0; prev = 0; k = 0; j = 0; ok = 0; t = tail };
                do
                :: atomic { s = t % N; sq = seq[s] };
                    if
                    :: sq == t ->
                        atomic {
                            k = 1;
                            if
                            :: want > 1 && seq[(t + 1) % N] == t + 1 -> k = 2
                            :: else
                            fi
                        };
#ifdef BROKEN_RECORD_AFTER_CAS
                        if
                        :: atomic { tail == t -> tail = t + k; pcomm[t % N] = 0; pcomm[(t + 1) % N] = pcomm[(t + 1) % N] && k < 2 }; KP;
                            atomic { rcnt[me] = k; rfirst[me] = t + 1; rc = 0 }; KP; break
                        :: atomic { else -> t = tail }
                        fi
#else
                        atomic { rcnt[me] = k; rfirst[me] = t + 1 }; KP;
                        if
                        :: atomic { tail == t -> tail = t + k; rc = 0; pcomm[t % N] = 0; pcomm[(t + 1) % N] = pcomm[(t + 1) % N] && k < 2 }; KP; break
                        :: atomic { else -> t = tail; rfirst[me] = 0 }; KP
                        fi
#endif
                    :: sq > t -> atomic { hh = tail; assert(hh != t); t = hh; hh = 0 }
                    :: sq < t ->
                        /* the slot holds the previous lap */
                        assert(t >= N);
                        prev = t - N;
                        assert(sq == prev || sq == prev + 1);
                        hh = head;
                        if
                        :: hh <= prev -> rc = EMPTY; break
                        :: else
                        fi;
                        if
                        :: seq[s] == sq ->
                            holder_alive(2, prev, ok);
                            if
                            :: ok -> rc = STUCK; break
                            :: else
                            fi;
                            atomic { ok = (seq[s] == sq); if :: ok -> seq[s] = t :: else fi };
                            if
                            :: ok -> KP; notify(room_word, room_waiters, w); KP
                            :: else
                            fi
                        :: else
                        fi
                    fi
                od;
                if
                :: rc == 0 -> break
                :: rc == EMPTY && gone -> rc = EPIPE; break
                :: else
                fi;
                if
                :: !counted ->
#ifndef BROKEN_WAITER_NOT_COUNTED
                    room_waiters++;
#endif
                    counted = 1; KP
#ifdef BROKEN_NO_RECHECK
                    ;
                    end_wait1:
                    if
                    :: room_word != seen
                    :: rc == STUCK      /* STUCK waits are STUCK_NS long */
                    :: rescue(d0)
                    :: !alive[2] && !alive[3] -> gone = 1
                    fi
#endif
                :: else ->
                    end_wait2:
                    if
                    :: room_word != seen
                    :: rc == STUCK      /* STUCK waits are STUCK_NS long */
                    :: rescue(d0)
                    :: !alive[2] && !alive[3] -> gone = 1
                    fi
                fi
            od;
            if
            :: counted ->
#ifndef BROKEN_WAITER_NOT_COUNTED
                room_waiters--;
#endif
                KP
            :: else
            fi;
            if
            :: rc == EPIPE -> break
            :: else
            fi;
            /* reserve_batch() stores the lengths into the slots (reserve()
             * stores its length at the commit: the worse case is modelled
             * for both) */
            atomic { slen[t % N] = 1; if :: k > 1 -> slen[(t + 1) % N] = 1 :: else fi };
            KP;
            /* the caller fills the slots, then commit_batch() */
            j = 0;
            do
            :: j < k ->
#ifdef BROKEN_SEQ_BEFORE_DATA
                atomic { seq[(t + j) % N] = t + j + 1; pcomm[(t + j) % N] = 1; committed[me * 2 + psent[me] + 1] = 1 }; KP;
                atomic { data[(t + j) % N] = me * 2 + psent[me] + 1; psent[me]++; j++ }; KP
#else
                /* the slot is private until its sequence says
                 * committed: the data store is merged into that step */
                atomic {
                    data[(t + j) % N] = me * 2 + psent[me] + 1;
                    seq[(t + j) % N] = t + j + 1;
                    pcomm[(t + j) % N] = 1;
                    committed[me * 2 + psent[me] + 1] = 1;
                    psent[me]++; j++
                };
                KP
#endif
            :: else -> break
            od;
            notify(data_word, data_waiters, w);
            KP;
            atomic { t = 0; s = 0; sq = 0; hh = 0; prev = 0; k = 0; j = 0; seen = 0; d0 = 0; ok = 0; counted = 0 }
        od;
        /* done: producer 0 closes, producer 1 stays attached and idle (a
         * live idle peer: consumers keep waiting) */
    if
    :: me == 0 -> alive[me] = 0; goto closed
    :: else
    fi;
end_idle:
    false;
killed:
    skip;
    d_step { alive[me] = 0; deaths++ };
closed:
    skip
}

proctype consumer(byte me)
{
    byte c = me - 2;
    byte h, s, sq, tl, k, j, id, want, seen, d0, w, rc, takes;
    bool counted, gone, ok;

    KP;
    do
        :: c == 0 || takes == 0 ->   /* consumer 3 takes once, then closes */
            want = 2 - c;     /* consumer 2 asks for batches of 2 */
            /* run() */
            counted = 0;
            do
            :: /* the look at the word, then take(): its first load of head
                 * (two adjacent loads, one step) */
                atomic { seen = data_word; d0 = deaths; s = 0; sq = 0; tl = 0; k = 0; j = 0; ok = 0; h = head };
                do
                :: atomic { s = h % N; sq = seq[s] };
                    if
                    :: sq == h + 1 ->
                        atomic {
                            k = 1;
                            if
                            :: want > 1 && seq[(h + 1) % N] == h + 2 -> k = 2
                            :: else
                            fi
                        };
                        atomic { rcnt[me] = k; rfirst[me] = h + 1 }; KP;
                        if
                        :: atomic { head == h -> head = h + k; hfirst[c] = h; hcnt[c] = k; hcopied[c] = 0; rc = 0 };
                            KP; break
                        :: atomic { else -> h = head; rfirst[me] = 0 }; KP
                        fi
                    :: sq > h + 1 -> atomic { tl = head; assert(tl != h); h = tl; tl = 0 }
                    :: sq == h ->
                        tl = tail;
                        if
                        :: tl == h -> rc = EMPTY; break
                        :: else
                        fi;
                        assert(tl > h);
                        /* reserved, not committed: is its producer dead? */
                        holder_alive(0, h, ok);
                        if
                        :: ok -> rc = STUCK; break
                        :: else
                        fi;
                        atomic { rcnt[me] = 1; rfirst[me] = h + 1 }; KP;
                        if
                        :: atomic { head == h -> head = h + 1; hfirst[c] = h; hcnt[c] = 1; hcopied[c] = 0 };
                            KP;
                            sq = seq[s];
                            if
                            :: sq == h + 1 -> k = 1; rc = 0; break   /* committed before it died */
                            :: sq == h ->
#ifndef BROKEN_SKIP_KEEPS_LEN
                                slen[s] = 0;     /* never committed: say so */
                                KP;
#endif
                                atomic { assert(slen[s] == pcomm[s]); seq[s] = h + N; hcnt[c] = 0 };  /* skipped */
                                KP;
                                notify(room_word, room_waiters, w);
                                KP;
                                h++
                            :: else -> assert(false)
                            fi
                        :: atomic { else -> h = head; rfirst[me] = 0 }; KP
                        fi
                    :: h >= N && (sq == h - N || sq == h - N + 1) ->
                        /* the previous lap's message is still held */
                        tl = tail;
                        if
                        :: tl == h -> rc = EMPTY; break
                        :: else
                        fi;
                        assert(tl > h)
                    :: else -> assert(false)
                    fi
                od;
                if
                :: rc == 0 -> break
                :: rc == EMPTY && gone -> rc = EPIPE; break
                :: else
                fi;
                if
                :: !counted ->
#ifndef BROKEN_WAITER_NOT_COUNTED
                    data_waiters++;
#endif
                    counted = 1; KP
#ifdef BROKEN_NO_RECHECK
                    ;
                    end_wait3:
                    if
                    :: data_word != seen
                    :: rc == STUCK      /* STUCK waits are STUCK_NS long */
                    :: rescue(d0)
                    :: !alive[0] && !alive[1] -> gone = 1
                    fi
#endif
                :: else ->
                    end_wait4:
                    if
                    :: data_word != seen
                    :: rc == STUCK      /* STUCK waits are STUCK_NS long */
                    :: rescue(d0)
                    :: !alive[0] && !alive[1] -> gone = 1
                    fi
                fi
            od;
            if
            :: counted ->
#ifndef BROKEN_WAITER_NOT_COUNTED
                data_waiters--;
#endif
                KP
            :: else
            fi;
            if
            :: rc == EPIPE -> break
            :: else -> takes++
            fi;
            /* copy out (recv, or the caller of peek_batch), then
             * release_batch(): give_back() each slot, notify() once */
#ifdef BROKEN_RELEASE_BEFORE_COPY
            j = 0;
            do
            :: j < k -> atomic { assert(slen[(h + j) % N] == pcomm[(h + j) % N]); seq[(h + j) % N] = h + j + N; j++ }; KP
            :: else -> break
            od;
            notify(room_word, room_waiters, w);
            KP;
#endif
            j = 0;
            do
            :: j < k ->
                d_step {
                    id = data[(h + j) % N];
                    assert(id != 0 && committed[id] && delivered[id] == 0);
                    delivered[id]++;
                    hcopied[c]++;
                    j++
                };
                KP
            :: else -> break
            od;
#ifndef BROKEN_RELEASE_BEFORE_COPY
            j = 0;
            do
            :: j < k -> atomic { assert(slen[(h + j) % N] == pcomm[(h + j) % N]); seq[(h + j) % N] = h + j + N; j++ }; KP
            :: else -> break
            od;
            notify(room_word, room_waiters, w);
            KP;
#endif
            atomic { h = 0; s = 0; sq = 0; tl = 0; k = 0; j = 0; id = 0; seen = 0; d0 = 0; ok = 0; counted = 0 }
        :: else -> break
    od;
    alive[me] = 0;
    goto closed;
killed:
    skip;
    /* The claim vanishes; what it took and had not copied out is lost. */
    d_step {
        alive[me] = 0; deaths++;
        j = hcopied[c];
        do
        :: j < hcnt[c] ->
            if
            :: seq[(hfirst[c] + j) % N] == hfirst[c] + j + 1 ->
                lost[data[(hfirst[c] + j) % N]] = 1
            :: else
            fi;
            j++
        :: else -> break
        od
    };
closed:
    skip
}

/* When nothing can move any more. */
active proctype monitor()
{
    byte i;
    timeout ->
    i = 1;
    do
    :: i <= TOTAL ->
        assert(!committed[i] || delivered[i] == 1 || lost[i] || !alive[2] && !alive[3]);
        i++
    :: else -> break
    od;
    assert(!alive[0] || psent[0] == MSGS(0) || (!alive[2] && !alive[3]));
    assert(!alive[1] || psent[1] == MSGS(1) || (!alive[2] && !alive[3]))
}

init
{
    atomic {
        seq[1] = 1;   /* all-zero memory: slot i free for position i */
        alive[0] = 1; alive[1] = 1; alive[2] = 1;
        run producer(0); run producer(1);
        run consumer(2)
#ifdef CONSUMERS2
        ;
        alive[3] = 1;
        run consumer(3)
#endif
    }
}
