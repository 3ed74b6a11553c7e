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
 *   is no padding record). A record is one header cell (its length and its
 *   check, the record's own position, stored together: the consumer reads
 *   them only after the position that publishes them) and LEN(seq) payload
 *   cells, each holding the message's sequence number. Records of 3 and 2
 *   cells in a ring of 4 wrap at every phase.
 * - Publication: the producer's position prod_pos (release) publishes every
 *   record below it; the consumer's cons_pos gives the room back. Each side
 *   keeps a private copy of the other's position (peer) and reads the
 *   shared one only when its copy says "empty" / "full".
 * - Waiting (mmf__chan_wait): read the other side's futex word, look at the
 *   condition again, then sleep: count oneself in the sleepers counter (a
 *   seq_cst read-modify-write), and FUTEX_WAIT on the word with the value
 *   seen, which the kernel compares atomically with queueing the sleeper.
 *   The spin phase only returns early (word changed, peer gone), so it is
 *   the busy-poll branch here. Waking (mmf__chan_wake): change the word
 *   after the position, then (after a full fence) read the sleepers counter
 *   and FUTEX_WAKE only if it is not zero.
 * - Peer death: a claim flag per side that the kernel clears when the
 *   process dies (the file lock of mmf__os_claim). A sleeper wakes at the
 *   end of every 10 ms slice and asks the kernel (mmf__chan_peer_gone);
 *   the slice is modelled only as the way a sleeper notices a dead peer,
 *   or recovers from a waker killed in the middle of waking: in a run
 *   without a kill, a live peer's wake-up must not depend on it, so a lost
 *   wake-up is a deadlock here.
 * - Killing: Killer kills at most one side at any step (its claim drops at
 *   once), and may start a new endpoint of that role, which attaches
 *   (start()) and carries on. Ghost counters `published` and `released`,
 *   updated in the same atomic step as the store that publishes or
 *   releases, say which message a restarted side deals with next.
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
/* broken: PUBLISH_FIRST NO_RECHECK WAKE_BEFORE_PUBLISH */

#define CAP 4
#define N 4
#define LEN(s) (1 + ((s) & 1))   /* payload cells of message s: 2, 1, 2, 1 */

byte val[CAP];          /* header cell: length; payload cell: sequence */
byte chk[CAP];          /* header cell: check (the record's position) */
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

proctype Producer(byte me)
{
    byte seq, ln, need, head, peer, seen, i, rc;
    bit gone;

    {
        /* attach, start() */
        p_claim = 1;
        head = prod_pos;
        peer = cons_pos;
        prod_sleepers = 0;
        seq = published + 1;
        do
        :: seq > N -> break
        :: else ->
            ln = LEN(seq);
            need = 1 + ln;
            /* mmf_ring_reserve(): room(), then wait_room() */
            if
            :: need > CAP - (head - peer) ->
                peer = cons_pos;            /* load_cons() */
                do
                :: need <= CAP - (head - peer) -> break
                :: else ->
                    seen = cons_word;
                    peer = cons_pos;        /* load_cons() */
                    if
                    :: need <= CAP - (head - peer) -> break
                    :: else -> skip
                    fi;
                    chan_wait(cons_word, seen, prod_sleepers, 0, c_claim, rc);
                    if
                    :: rc == 1 ->           /* MMF_EPIPE: look once more */
                        peer = cons_pos;
                        if
                        :: need <= CAP - (head - peer) -> break
                        :: else -> gone = 1; break
                        fi
                    :: else -> skip
                    fi
                od;
                if :: gone -> goto done :: else -> skip fi
            :: else -> skip
            fi;
            /* mmf_ring_reserve(): the header */
            val[head % CAP] = ln;
            chk[head % CAP] = head;
#ifdef BROKEN_PUBLISH_FIRST
            /* publish() before the caller wrote the payload */
            d_step { prod_pos = head + need; published = seq };
            prod_word++;
            chan_wake(cons_sleepers, 1);
#endif
            /* the caller writes the payload in place */
            i = 1;
            do
            :: i <= ln -> val[(head + i) % CAP] = seq; i++
            :: else -> break
            od;
            /* mmf_ring_commit(): publish() */
            head = head + need;
#ifndef BROKEN_PUBLISH_FIRST
#ifdef BROKEN_WAKE_BEFORE_PUBLISH
            chan_wake(cons_sleepers, 1);
#endif
            d_step { prod_pos = head; published = seq };
            prod_word++;
#ifndef BROKEN_WAKE_BEFORE_PUBLISH
            chan_wake(cons_sleepers, 1);
#endif
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
    byte expect, head, peer, seen, ln, pos, i, rc;

    {
        /* attach, start() */
        c_claim = 1;
        head = cons_pos;
        peer = prod_pos;
        cons_sleepers = 0;
        expect = released + 1;
        do
        :: expect > N -> break
        :: else ->
            /* mmf_ring_peek(): wait_data() when head == peer */
            if
            :: head == peer ->
                peer = prod_pos;            /* load_prod() */
                do
                :: peer != head -> break
                :: else ->
                    seen = prod_word;
                    peer = prod_pos;        /* load_prod() */
                    if
                    :: peer != head -> break
                    :: else -> skip
                    fi;
                    chan_wait(prod_word, seen, cons_sleepers, 1, p_claim, rc);
                    if
                    :: rc == 1 ->           /* MMF_EPIPE: look once more */
                        d_step {
                            peer = prod_pos;
                            /* Gone, and everything it committed was received
                             * (unless a new producer attached since). */
                            assert(peer != head || p_claim || expect == published + 1)
                        };
                        break
                    :: else -> skip
                    fi
                od;
                if :: peer == head -> goto done :: else -> skip fi
            :: else -> skip
            fi;
            /* take(): rec_len() with the check, then the payload */
            pos = head;
            assert(chk[pos % CAP] == pos);
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
