/* SPDX-License-Identifier: MIT */
/*
 * ring.pml - the SPSC ring's protocol (src/ring.c, src/channel.c), checked
 * with SPIN against every interleaving, with either side killed at any step
 * and possibly restarted.
 *
 * What is modelled (README.md, "SPSC ring", maps each step to the C):
 *
 * - The area: CAP cells of 8 bytes, indexed by free-running positions mod
 *   CAP (the double mapping makes a record that wraps contiguous, so there
 *   is no padding record). A record is one header cell (the 8-byte header
 *   word: the length; 0 means "nothing here yet") and LEN(seq) payload
 *   cells, each holding the message's sequence number. Three records of
 *   3, 2 and 3 cells in a ring of 4 go twice around it, the second and the
 *   third across its end. Payload cells hold non-zero values, so a stale
 *   payload cell where a header is expected looks like a record: exactly
 *   what a stale lap looks like in the C.
 * - Publication: the producer writes the payload, then a zero header
 *   where the next record will go (the end mark), then the record's
 *   header with release order: that store publishes the record. The
 *   consumer polls the header at its head, and never reads the producer's
 *   position. The producer then stores its position (for a restart and
 *   for inspection) and changes its futex word. The producer keeps room
 *   for the end mark: a record and its end mark fit below the consumer's
 *   position plus the capacity, so the end mark never covers a record not
 *   yet released. The consumer checks nothing but "non-zero" here: the
 *   weakest check the C makes (a persistent ring's consumer does not
 *   recompute the checksum), so the end mark alone must keep stale data
 *   from being read as a record.
 * - Giving back: the consumer's position cons_pos (release); the producer
 *   keeps a private copy (peer) and reads the shared one only when its
 *   copy says "full".
 * - Waiting (mmf__chan_wait): read the other side's futex word, look at the
 *   condition again, then sleep: count oneself in the sleepers counter (a
 *   seq_cst read-modify-write), and FUTEX_WAIT on the word with the value
 *   seen, which the kernel compares atomically with queueing the sleeper.
 *   The consumer first spins on the header itself (the spin phase of
 *   wait_data()); the spin phase of mmf__chan_wait() only returns early
 *   (word changed, peer gone), so it is the busy-poll branch here. Waking
 *   (mmf__chan_wake): change the word after publishing, then (after a full
 *   fence) read the sleepers counter and FUTEX_WAKE only if it is not zero.
 * - Peer death: a claim flag per side that the kernel clears when the
 *   process dies (the file lock of mmf__os_claim). A sleeper wakes at the
 *   end of every 10 ms slice and asks the kernel (mmf__chan_peer_gone);
 *   the slice is modelled only as the way a sleeper notices a dead peer,
 *   or recovers from a waker killed in the middle of waking: in a run
 *   without a kill, a live peer's wake-up must not depend on it, so a lost
 *   wake-up is a deadlock here.
 * - Killing: Killer kills at most one side at any step (its claim drops at
 *   once), and may start a new endpoint of that role, which attaches
 *   (start()) and carries on. A new producer starts at the shared position
 *   and steps over records published after it (a producer killed between
 *   publishing a header and storing its position). Ghost counters
 *   `published` and `released`, updated in the same atomic step as the
 *   store that publishes or releases, say which message a restarted side
 *   deals with next.
 * - Ending: a side that is done either closes (mmf_ring_close: drop the
 *   claim, change its word, wake) or stays attached and idle. The consumer
 *   is done after N messages or on MMF_EPIPE.
 *
 * Properties: assertions - the consumer gets exactly the next message,
 * whole (no loss, duplication, reordering or torn record; a restarted
 * consumer gets again what was not released); MMF_EPIPE only when every
 * committed message was received and the producer is gone. Invalid end
 * states - no deadlock, no lost wake-up (a sleeper whose condition holds
 * while its live peer is idle), and a dead peer is always noticed (a side
 * waiting on a dead peer that never comes back ends).
 */
/* pan: -DSAFETY -DCOLLAPSE ; run: -m200000 */
/* broken: PUBLISH_FIRST NO_RECHECK WAKE_BEFORE_PUBLISH NO_END_MARK NO_SCAN */

#define CAP 4
#define N 3
#define LEN(s) (1 + ((s) & 1))   /* payload cells of message s: 2, 1, 2 */

byte val[CAP];          /* header cell: length, 0 for none; payload cell:
                           sequence */
byte prod_pos, cons_pos;
byte prod_word, cons_word;
byte cons_sleepers;     /* consumers asleep on prod_word */
byte prod_sleepers;     /* producers asleep on cons_word */
bit fq[2];              /* the kernel's futex queue: [0] the producer on
                           cons_word, [1] the consumer on prod_word */
bit p_claim = 1, c_claim = 1;
byte kill;              /* 1: the first producer was killed; 2: the first
                           consumer */
byte published, released; /* ghosts */

/* FUTEX_WAIT(w, seen): the kernel compares and queues in one step; then
 * the sleeper runs again when woken, or at the end of a slice if its peer
 * is dead or a kill happened: a waker killed between changing the word
 * and waking leaves the sleeper to its slice, which re-reads the word
 * (a wait bounded by the slice). */
inline futex_wait(w, seen, me, peer_claim)
{
    atomic { if :: w == seen -> fq[me] = 1 :: else -> skip fi };
    (fq[me] == 0 || !peer_claim || kill != 0);
    fq[me] = 0
}

/* mmf__chan_wake(): after the word changed; the fence is the order of
 * the steps here. */
inline chan_wake(sleepers, other)
{
    if
    :: sleepers > 0 -> fq[other] = 0
    :: else -> skip
    fi
}

/* mmf__chan_wait(): returns with rc 0 (the word changed, or a spurious
 * wake-up) or rc 1 (MMF_EPIPE: the peer is gone). */
inline chan_wait(w, seen, sleepers, me, peer_claim, rc)
{
    rc = 0;
    if
    :: w != seen -> skip
    :: else ->
        if
        :: (w != seen || !peer_claim) ->  /* busy-poll, or the spin phase */
            if :: !peer_claim -> rc = 1 :: else -> skip fi
        :: true ->                        /* the sleep loop */
            do
            :: !peer_claim -> rc = 1; break
            :: else ->
                sleepers++;
#ifdef BROKEN_NO_RECHECK
                /* Sleeps after announcing itself without comparing the
                 * word with the value seen before the last look. */
                fq[me] = 1;
                (fq[me] == 0 || !peer_claim || kill != 0);
                fq[me] = 0;
#else
                futex_wait(w, seen, me, peer_claim);
#endif
                sleepers--;
                if :: w != seen -> break :: else -> skip fi
            od
        fi
    fi
}

/* Producer: publish() - the header, with release order, after the
 * payload and the end mark; then the position, the word and the wake. */
inline publish(hd, nd, sq)
{
#ifndef BROKEN_NO_END_MARK
    val[(hd + nd) % CAP] = 0;                   /* the end mark */
#endif
    d_step { val[hd % CAP] = nd - 1; published = sq }
}

proctype Producer(byte me)
{
    byte seq, ln, need, head, peer, seen, i, rc;
    bit gone;

    {
        /* attach; start(): the shared positions, then step over records
         * published after the position (ring_scan()) */
        p_claim = 1;
        head = prod_pos;
        peer = cons_pos;
#ifndef BROKEN_NO_SCAN
        do
        :: val[head % CAP] != 0 && head + 1 + val[head % CAP] + 1 <= peer + CAP ->
            head = head + 1 + val[head % CAP]
        :: else -> break
        od;
#endif
        prod_pos = head;
        prod_sleepers = 0;
        seq = published + 1;
        do
        :: seq > N -> break
        :: else ->
            ln = LEN(seq);
            need = 1 + ln;
            /* mmf_ring_reserve(): room() keeps room for the end mark,
             * then wait_room() */
            if
            :: need + 1 > CAP - (head - peer) ->
                peer = cons_pos;            /* load_cons() */
                do
                :: need + 1 <= CAP - (head - peer) -> break
                :: else ->
                    seen = cons_word;
                    peer = cons_pos;        /* load_cons() */
                    if
                    :: need + 1 <= CAP - (head - peer) -> break
                    :: else -> skip
                    fi;
                    chan_wait(cons_word, seen, prod_sleepers, 0, c_claim, rc);
                    if
                    :: rc == 1 ->           /* MMF_EPIPE: look once more */
                        peer = cons_pos;
                        if
                        :: need + 1 <= CAP - (head - peer) -> break
                        :: else -> gone = 1; break
                        fi
                    :: else -> skip
                    fi
                od;
                if :: gone -> goto done :: else -> skip fi
            :: else -> skip
            fi;
#ifdef BROKEN_PUBLISH_FIRST
            /* mmf_ring_commit() before the caller wrote the payload */
            publish(head, need, seq);
#endif
            /* the caller writes the payload in place */
            i = 1;
            do
            :: i <= ln -> val[(head + i) % CAP] = seq; i++
            :: else -> break
            od;
            /* mmf_ring_commit() */
#ifdef BROKEN_WAKE_BEFORE_PUBLISH
            chan_wake(cons_sleepers, 1);
#endif
#ifndef BROKEN_PUBLISH_FIRST
            publish(head, need, seq);
#endif
            head = head + need;
            prod_pos = head;
            prod_word++;
#ifndef BROKEN_WAKE_BEFORE_PUBLISH
            chan_wake(cons_sleepers, 1);
#endif
            seq++
        od;
done:
        if
        :: true ->                          /* mmf_ring_close() */
            p_claim = 0;
            prod_word++;
            chan_wake(cons_sleepers, 1)
        :: true -> skip                     /* stays attached, idle */
        fi
    } unless { kill != 0 && kill == me }
}

proctype Consumer(byte me)
{
    byte expect, head, seen, ln, pos, i, rc;

    {
        /* attach, start() */
        c_claim = 1;
        head = cons_pos;
        cons_sleepers = 0;
        expect = released + 1;
        do
        :: expect > N -> break
        :: else ->
            /* mmf_ring_peek(): the header at head (take()), or
             * wait_data() */
            if
            :: val[head % CAP] == 0 ->
                if
                :: (val[head % CAP] != 0 || !p_claim) -> skip  /* spin phase */
                :: true -> skip                                  /* it ended */
                fi;
                do
                :: val[head % CAP] != 0 -> break
                :: else ->
                    seen = prod_word;
                    if
                    :: val[head % CAP] != 0 -> break
                    :: else -> skip
                    fi;
                    chan_wait(prod_word, seen, cons_sleepers, 1, p_claim, rc);
                    if
                    :: rc == 1 ->           /* MMF_EPIPE: look once more */
                        d_step {
                            ln = val[head % CAP];
                            /* Gone, and everything it committed was received
                             * (unless a new producer attached since). */
                            assert(ln != 0 || p_claim || expect == published + 1)
                        };
                        break
                    :: else -> skip
                    fi
                od;
                if :: val[head % CAP] == 0 -> goto done :: else -> skip fi
            :: else -> skip
            fi;
            /* take(): the length, bounded, then the payload */
            pos = head;
            ln = val[pos % CAP];
            assert(ln == LEN(expect));
            i = 1;
            do
            :: i <= ln -> assert(val[(pos + i) % CAP] == expect); i++
            :: else -> break
            od;
            head = pos + 1 + ln;
            /* mmf_ring_release(): give_back() */
            d_step { cons_pos = head; released = expect };
            cons_word++;
            chan_wake(prod_sleepers, 0);
            expect++
        od;
done:
        if
        :: true ->                          /* mmf_ring_close() */
            c_claim = 0;
            cons_word++;
            chan_wake(prod_sleepers, 0)
        :: true -> skip
        fi
    } unless { kill != 0 && kill == me }
}

/* Kills at most one side, at any step; a new endpoint may take its role. */
active proctype Killer()
{
    if
    :: atomic { kill = 1; p_claim = 0 };
       if :: run Producer(0) :: skip fi
    :: atomic { kill = 2; c_claim = 0 };
       if :: run Consumer(0) :: skip fi
    :: skip
    fi
}

init
{
    atomic { run Producer(1); run Consumer(2) }
}
