package dev.vmsup.cgroupfs;

import java.util.Map;
import java.util.Set;

/**
 * One way of addressing cgroups on this host: the v1 controller hierarchies used together, or the v2
 * unified hierarchy. Callers work through this interface and {@link Cgroup} and never ask which
 * version they have, except to log it.
 */
public interface Hierarchy {
    CgroupVersion version();

    /** The controllers this hierarchy works with (v1: the mounted ones it was given; v2: available at the root). */
    Set<String> controllers();

    boolean exists(CgroupPath path);

    /**
     * Creates the cgroup and any missing ancestors (idempotent). An existing cgroup is loaded as it is:
     * its limits are never reset. {@link Cgroup#created()} says whether this call made the leaf.
     */
    Cgroup create(CgroupPath path);

    /**
     * As {@link #create}, but on v2 without enabling controllers in its parent's {@code cgroup.subtree_control}:
     * for a cgroup a process must move into before its parent can enable them (the kernel refuses controllers in a
     * cgroup that still holds processes), e.g. out of a freshly delegated systemd scope. On v1 the same as create.
     */
    default Cgroup createWithoutControllers(CgroupPath path) {
        return create(path);
    }

    /** Opens an existing cgroup; ENOENT if it does not exist. */
    Cgroup load(CgroupPath path);

    /**
     * Removes {@code path} and everything below it wherever it exists, as {@link Cgroup#delete}, including where a
     * crash left it in only some of the v1 hierarchies (which {@link #exists} and {@link #load} refuse). Missing
     * everywhere: an empty report.
     */
    DeleteReport remove(CgroupPath path);

    /**
     * Where one thread of a process is, per hierarchy this object uses (v1: keyed by controller; v2: one
     * entry keyed "unified"), read from {@code /proc/<pid>/task/<tid>/cgroup}. ESRCH if the thread is gone.
     */
    Map<String, CgroupPath> placementOf(int pid, int tid);

    /**
     * Moves a whole process back to a placement read earlier with {@link #placementOf} (each hierarchy to its own
     * path), e.g. a supervisor returning to where it started. ESRCH is {@link Placement#GONE}.
     */
    Placement returnTo(Map<String, CgroupPath> placement, int pid);

    /** True if the thread is in {@code path} in every hierarchy this object uses. */
    default boolean isPlaced(CgroupPath path, int pid, int tid) {
        Map<String, CgroupPath> placement = placementOf(pid, tid);
        return !placement.isEmpty() && placement.values().stream().allMatch(path::equals);
    }
}
