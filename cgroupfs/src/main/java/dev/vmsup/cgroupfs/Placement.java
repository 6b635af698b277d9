package dev.vmsup.cgroupfs;

/** Outcome of moving a process or thread: it moved, or it no longer exists (ESRCH). */
public enum Placement {
    MOVED,
    /** The task exited before the write; nothing to place. Callers decide whether to report it. */
    GONE
}
