package dev.vmsup.supervisor.cgroups;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupStats;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.cgroupfs.Placement;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.resources.MergedResources;

/**
 * The host cgroups of one sandbox: made from a {@link CgroupLayout}, used to place the supervisor, its children
 * and vCPU threads, and removed at teardown (only what this object created; never the parent or the overhead
 * root). The supervisor returns to the cgroups it started in before anything is removed.
 */
public final class SandboxCgroups {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxCgroups.class);
    /** The controllers that limit a thread's CPU time. */
    private static final Set<String> CPU_CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset");

    private final Hierarchy hierarchy;
    private final CgroupLayout layout;
    private final int selfPid;
    private final Map<String, CgroupPath> selfOrigin;
    private final Cgroup sandbox;
    private final Cgroup vcpu;
    private final Cgroup overhead;
    /** The overhead cgroup is the runtime's (it spawned vmsup there): used, never removed. */
    private final boolean overheadKept;
    private final SandboxLimits limits;

    private SandboxCgroups(Hierarchy hierarchy, CgroupLayout layout, int selfPid, Map<String, CgroupPath> selfOrigin,
            Cgroup sandbox, Cgroup vcpu, Cgroup overhead, boolean overheadKept) {
        this.hierarchy = hierarchy;
        this.layout = layout;
        this.selfPid = selfPid;
        this.selfOrigin = selfOrigin;
        this.sandbox = sandbox;
        this.vcpu = vcpu;
        this.overhead = overhead;
        this.overheadKept = overheadKept;
        this.limits = new SandboxLimits(sandbox, vcpu);
    }

    /**
     * Checks the layout before anything is created: every path resolves inside the hierarchy (no symlink, no file in
     * the way) and the sandbox's own cgroups do not exist yet.
     */
    public static void check(Hierarchy hierarchy, CgroupLayout layout) {
        check(hierarchy, layout, null);
    }

    /** As {@link #check}, with {@code adopted} (the supervisor's own cgroup, made before) allowed to exist. */
    public static void check(Hierarchy hierarchy, CgroupLayout layout, CgroupPath adopted) {
        hierarchy.exists(layout.parent());
        if (layout.overheadRoot() != null) {
            hierarchy.exists(layout.overheadRoot());
        }
        for (CgroupPath own : ownPaths(layout)) {
            if (!own.equals(adopted) && hierarchy.exists(own)) {
                throw new SupervisorException("cgroup " + own + " already exists: another vmsup runs with this id, "
                        + "or one died without cleaning up (vmsup cleanup)");
            }
        }
    }

    /** Creates the sandbox, vcpu and overhead cgroups; the caller has run {@link #check} first. */
    public static SandboxCgroups create(Hierarchy hierarchy, CgroupLayout layout, int selfPid) {
        return create(hierarchy, layout, selfPid, hierarchy.placementOf(selfPid, selfPid), null, false);
    }

    /**
     * For a sandbox inside a systemd scope just delegated with vmsup in it: makes vmsup's own cgroup first (without
     * controllers, which the scope cannot enable while it holds a process), moves vmsup there so that the scope holds
     * none, then creates the rest. {@code origin} is where vmsup was before systemd moved it into the scope: teardown
     * returns it there.
     */
    public static SandboxCgroups createInScope(Hierarchy hierarchy, CgroupLayout layout, int selfPid,
            Map<String, CgroupPath> origin) {
        makeHome(hierarchy, layout, selfPid, true);
        return createAround(hierarchy, layout, selfPid, origin);
    }

    /**
     * Makes the supervisor's own cgroup, which must not exist (in a systemd scope without controllers, which the
     * scope cannot enable while it holds a process), and moves this process into it. Undone by {@link #unmakeHome}.
     */
    public static void makeHome(Hierarchy hierarchy, CgroupLayout layout, int selfPid, boolean inScope) {
        Cgroup home = inScope ? hierarchy.createWithoutControllers(layout.supervisor())
                : hierarchy.create(layout.supervisor());
        if (!home.created()) {
            throw new SupervisorException("cgroup " + layout.supervisor() + " appeared while this sandbox was being "
                    + "created: another vmsup runs with this id");
        }
        try {
            home.addProcess(selfPid);
        } catch (RuntimeException e) {
            home.delete();
            throw e;
        }
    }

    /** Puts this process back at {@code origin} and removes the supervisor's own cgroup made by {@link #makeHome}. */
    public static void unmakeHome(Hierarchy hierarchy, CgroupLayout layout, int selfPid, Map<String, CgroupPath> origin) {
        try {
            hierarchy.returnTo(origin, selfPid);
        } finally {
            if (hierarchy.exists(layout.supervisor())) {
                hierarchy.load(layout.supervisor()).delete();
            }
        }
    }

    /**
     * Creates the sandbox's cgroups around the supervisor's own, made earlier by {@link #makeHome} (in this image, or
     * in the one this process re-executed from) with this process in it; {@code origin} is where it was before.
     */
    public static SandboxCgroups createAround(Hierarchy hierarchy, CgroupLayout layout, int selfPid,
            Map<String, CgroupPath> origin) {
        if (!hierarchy.isPlaced(layout.supervisor(), selfPid, selfPid)) {
            throw new SupervisorException("vmsup (pid " + selfPid + ") is in " + hierarchy.placementOf(selfPid, selfPid)
                    + ", not in its own cgroup " + layout.supervisor());
        }
        return create(hierarchy, layout, selfPid, origin, layout.supervisor(), false);
    }

    /** Creates the sandbox's cgroups beside the overhead cgroup the runtime made and spawned vmsup in (kept). */
    public static SandboxCgroups createBesideRuntimes(Hierarchy hierarchy, CgroupLayout layout, int selfPid) {
        return create(hierarchy, layout, selfPid, hierarchy.placementOf(selfPid, selfPid), layout.supervisor(), true);
    }

    private static SandboxCgroups create(Hierarchy hierarchy, CgroupLayout layout, int selfPid,
            Map<String, CgroupPath> origin, CgroupPath alreadyMade, boolean overheadKept) {
        List<Cgroup> made = new ArrayList<>();
        try {
            Cgroup sandbox = createAnew(hierarchy, layout.sandbox(), alreadyMade);
            made.add(sandbox);
            Cgroup vcpu = sandbox.createThreadedChild(layout.vcpu().name());
            Cgroup overhead = null;
            if (layout.overhead() != null) {
                overhead = createAnew(hierarchy, layout.overhead(), alreadyMade);
                if (!overheadKept) { // the runtime's: never removed by vmsup, not even on a failed start
                    made.add(overhead);
                }
            }
            return new SandboxCgroups(hierarchy, layout, selfPid, origin, sandbox, vcpu, overhead, overheadKept);
        } catch (RuntimeException e) {
            made.forEach(Cgroup::delete);
            throw e;
        }
    }

    /**
     * Creates {@code path}, which must not exist: a cgroup another vmsup made in the meantime is refused, not used
     * (unless it is {@code alreadyMade}, vmsup's own home, whose controllers this call enables).
     */
    private static Cgroup createAnew(Hierarchy hierarchy, CgroupPath path, CgroupPath alreadyMade) {
        Cgroup c = hierarchy.create(path);
        if (!c.created() && !path.equals(alreadyMade)) {
            throw new SupervisorException("cgroup " + path + " appeared while this sandbox was being created: another "
                    + "vmsup runs with this id");
        }
        return c;
    }

    private static List<CgroupPath> ownPaths(CgroupLayout layout) {
        List<CgroupPath> own = new ArrayList<>(List.of(layout.sandbox()));
        if (layout.overhead() != null) {
            own.add(layout.overhead());
        }
        return own;
    }

    public Hierarchy hierarchy() {
        return hierarchy;
    }

    public CgroupLayout layout() {
        return layout;
    }

    public Cgroup vcpu() {
        return vcpu;
    }

    /** Cgroup {@code path} of this sandbox (sandbox, vcpu or overhead). */
    private Cgroup own(CgroupPath path) {
        if (path.equals(sandbox.path())) {
            return sandbox;
        }
        if (path.equals(vcpu.path())) {
            return vcpu;
        }
        if (overhead != null && path.equals(overhead.path())) {
            return overhead;
        }
        throw new IllegalArgumentException(path + " is not a cgroup of this sandbox");
    }

    /** Moves the supervisor's own process (all its threads) into {@code path}, so that children are born there. */
    public void moveSelf(CgroupPath path) {
        own(path).addProcess(selfPid);
    }

    /** The {@code cgroup.procs} files of {@code path} (one per hierarchy), for a child to move itself there. */
    public List<java.nio.file.Path> procsFiles(CgroupPath path) {
        return own(path).procsFiles();
    }

    /** Moves process {@code pid} (a child just started) into {@code path}. */
    public Placement placeProcess(CgroupPath path, int pid) {
        return own(path).addProcess(pid);
    }

    /** Fails unless process {@code pid} is in {@code expected} in every hierarchy used. */
    public void verify(String who, int pid, CgroupPath expected) {
        Map<String, CgroupPath> actual = hierarchy.placementOf(pid, pid);
        if (!hierarchy.isPlaced(expected, pid, pid)) {
            throw new SupervisorException(who + " (pid " + pid + ") is in " + actual + ", expected " + expected);
        }
    }

    public Placement placeVcpuThread(int tid) {
        return vcpu.addThread(tid);
    }

    /**
     * Moves QEMU thread {@code tid} into vcpu for CPU time only (the cpu, cpuacct and cpuset hierarchies on v1; memory
     * is charged to the process's owner thread there and stays put), so that a thread it creates is born under the
     * vCPUs' limits; {@link #returnFromVcpu} moves it back.
     */
    public Placement lendToVcpu(int tid) {
        return vcpu.addThread(tid, CPU_CONTROLLERS);
    }

    /** Where thread {@code tid} of process {@code pid} is, per hierarchy, as {@code /proc} shows now; empty if gone. */
    public Map<String, CgroupPath> placementOf(int pid, int tid) {
        try {
            return hierarchy.placementOf(pid, tid);
        } catch (CgroupException e) {
            return Map.of();
        }
    }

    /**
     * True if a thread placed {@code at} ({@link #placementOf}) is in vcpu in the hierarchies that limit its CPU time
     * (v1: cpu, cpuacct, cpuset; v2: the one); false if it is elsewhere or gone.
     */
    public boolean underVcpuCpuLimits(Map<String, CgroupPath> at) {
        if (at.isEmpty()) {
            return false;
        }
        for (Map.Entry<String, CgroupPath> e : at.entrySet()) {
            if ((at.size() == 1 || CPU_CONTROLLERS.contains(e.getKey())) && !e.getValue().equals(vcpu.path())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Places vCPU thread {@code tid}, found {@code at} ({@link #placementOf}), in vcpu, writing only in the
     * hierarchies where it is elsewhere: a thread born under the vCPUs' CPU limits is in vcpu in those already.
     * With nothing known of it ({@code at} empty), in every hierarchy.
     */
    public Placement placeVcpuThread(int tid, Map<String, CgroupPath> at) {
        if (at.isEmpty()) {
            return placeVcpuThread(tid);
        }
        Set<String> elsewhere = new java.util.TreeSet<>();
        at.forEach((controller, path) -> {
            if (!path.equals(vcpu.path())) {
                elsewhere.add(controller);
            }
        });
        return elsewhere.isEmpty() ? Placement.MOVED : vcpu.addThread(tid, elsewhere);
    }

    /** Moves QEMU thread {@code tid} back where QEMU's process lives, in the hierarchies {@link #lendToVcpu} used. */
    public Placement returnFromVcpu(int tid) {
        return own(layout.qemu()).addThread(tid, CPU_CONTROLLERS);
    }

    /**
     * Moves a kernel thread of the VM (a process of its own) to QEMU's non-vCPU threads, through
     * {@code cgroup.procs}.
     */
    public Placement placeKernelThread(int pid) {
        return own(layout.qemu()).addProcess(pid);
    }

    /** True while kernel thread {@code pid} is where {@link #placeKernelThread} put it. */
    public boolean holdsKernelThread(int pid) {
        return hierarchy.isPlaced(layout.qemu(), pid, pid);
    }

    /** Writes the merged limits ({@link SandboxLimits#apply}); returns the limits now in force. */
    public Resources apply(MergedResources merged, boolean sandboxCgroupOnly, long memoryOverheadBytes) {
        return limits.apply(merged, sandboxCgroupOnly, memoryOverheadBytes);
    }

    /** Usage of each cgroup of the sandbox, keyed "sandbox", "vcpu" and "overhead". */
    public Map<String, CgroupStats> stats() {
        Map<String, CgroupStats> out = new java.util.LinkedHashMap<>();
        out.put("sandbox", sandbox.stats());
        out.put("vcpu", vcpu.stats());
        if (overhead != null) {
            out.put("overhead", overhead.stats());
        }
        return out;
    }

    /**
     * Returns the supervisor to the cgroups it started in, then removes the cgroups this sandbox created,
     * deepest first (tasks left in them are moved to the parent first); not an overhead cgroup the runtime made.
     */
    public List<DeleteReport.Failure> teardown() {
        try {
            hierarchy.returnTo(selfOrigin, selfPid);
        } catch (CgroupException e) {
            LOG.warn("could not return to the starting cgroups {}: {}; moving to {}", selfOrigin, e.getMessage(),
                    layout.supervisor().parent());
            hierarchy.load(layout.supervisor().parent()).addProcess(selfPid);
        }
        List<DeleteReport.Failure> failures = new ArrayList<>(sandbox.delete().failures());
        if (overhead != null && !overheadKept) {
            failures.addAll(overhead.delete().failures());
        }
        return failures;
    }
}
