package dev.vmsup.cgroupfs;

import java.util.Set;

/** An existing cgroup: placement of processes and single threads, limits, stats and removal. */
public interface Cgroup {
    CgroupPath path();

    /**
     * The controllers whose files this cgroup has (v1: the hierarchies used; v2: its {@code cgroup.controllers},
     * i.e. what its parent enabled).
     */
    Set<String> controllers();

    /** True if the {@link Hierarchy#create} that returned this handle made the leaf directory. */
    boolean created();

    /**
     * Moves a whole process (all its threads): v1 {@code cgroup.procs} in every hierarchy used, v2
     * {@code cgroup.procs}. Retries the transient EINVAL of a task still being set up.
     */
    Placement addProcess(int pid);

    /**
     * The {@code cgroup.procs} file of this cgroup in every hierarchy it spans: a child that writes {@code 0} to each
     * moves itself here before it execs anything (so that all its memory is charged here).
     */
    java.util.List<java.nio.file.Path> procsFiles();

    /**
     * Moves one thread ("AddTask"): v1 {@code tasks} in every hierarchy used; v2 {@code cgroup.threads}, which
     * the kernel accepts only within the thread's own threaded domain. ESRCH is {@link Placement#GONE}.
     */
    Placement addThread(int tid);

    /**
     * As {@link #addThread}, in the hierarchies of {@code controllers} only: on v1 the thread stays where it is in
     * the others; v2 has one hierarchy, where this is {@link #addThread}.
     */
    Placement addThread(int tid, Set<String> controllers);

    /**
     * Thread-group ids in this cgroup (not descendants). A v2 threaded cgroup cannot list processes (the
     * kernel answers EOPNOTSUPP): use {@link #threads()} there.
     */
    Set<Integer> processes();

    /** Thread ids in this cgroup (not descendants). */
    Set<Integer> threads();

    /**
     * Creates (or loads) a child that takes single threads of this cgroup's processes: on v2 a threaded
     * cgroup, prepared in the order the kernel needs (mkdir, {@code threaded} into {@code cgroup.type}, then the
     * available threaded controllers enabled in this cgroup's {@code cgroup.subtree_control}); on v1 an
     * ordinary child (with the parent's cpuset copied in).
     */
    Cgroup createThreadedChild(String name);

    /** Writes the non-null fields of {@code resources}; a controller that is not available is an error. */
    void setResources(Resources resources);

    CgroupStats stats();

    /**
     * Removes this cgroup and everything below it, deepest first. Remaining tasks of each cgroup are moved to
     * its parent before the rmdir, EBUSY is retried with bounded backoff, and nothing above this cgroup is
     * removed. A cgroup that no longer exists counts as removed.
     */
    DeleteReport delete();
}
