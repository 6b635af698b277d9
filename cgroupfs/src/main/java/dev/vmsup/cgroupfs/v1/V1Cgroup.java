package dev.vmsup.cgroupfs.v1;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupStats;
import dev.vmsup.cgroupfs.CpuMax;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Errno;
import dev.vmsup.cgroupfs.Placement;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.internal.SubtreeRemover;
import dev.vmsup.cgroupfs.internal.TaskMover;


/** One cgroup in the v1 hierarchies of a {@link V1Hierarchy}. */
final class V1Cgroup implements Cgroup {
    private final V1Hierarchy hierarchy;
    private final CgroupPath path;
    private final Map<Path, Path> dirs;
    private final boolean created;

    V1Cgroup(V1Hierarchy hierarchy, CgroupPath path, Map<Path, Path> dirs, boolean created) {
        this.hierarchy = hierarchy;
        this.path = path;
        this.dirs = Map.copyOf(dirs);
        this.created = created;
    }

    @Override
    public CgroupPath path() {
        return path;
    }

    @Override
    public Set<String> controllers() {
        return hierarchy.controllers();
    }

    @Override
    public boolean created() {
        return created;
    }

    @Override
    public Placement addProcess(int pid) {
        return moveEverywhere("cgroup.procs", pid);
    }

    @Override
    public List<Path> procsFiles() {
        return dirs.values().stream().map(d -> d.resolve("cgroup.procs")).sorted().toList();
    }

    @Override
    public Placement addThread(int tid) {
        return moveEverywhere("tasks", tid);
    }

    @Override
    public Placement addThread(int tid, Set<String> controllers) {
        for (Path mount : hierarchy.mounts()) {
            if (controllers.stream().anyMatch(c -> mount.equals(hierarchy.mountOf(c))) && TaskMover.move(
                    dirs.get(mount).resolve("tasks"), tid, hierarchy.taskSetup(), this::explain) == Placement.GONE) {
                return Placement.GONE;
            }
        }
        return Placement.MOVED;
    }

    private Placement moveEverywhere(String file, int id) {
        for (Path mount : hierarchy.mounts()) {
            if (TaskMover.move(dirs.get(mount).resolve(file), id, hierarchy.taskSetup(), this::explain) == Placement.GONE) {
                return Placement.GONE;
            }
        }
        return Placement.MOVED;
    }

    private String explain(Path file, Errno errno) {
        Path cpuset = hierarchy.mountOf("cpuset");
        if (errno == Errno.ENOSPC && cpuset != null && file.startsWith(cpuset)) {
            return "cpuset.cpus or cpuset.mems of " + file.getParent() + " is empty";
        }
        if (errno == Errno.ENOENT) {
            return "cgroup " + path + " was removed";
        }
        return null;
    }

    @Override
    public Set<Integer> processes() {
        return union("cgroup.procs");
    }

    @Override
    public Set<Integer> threads() {
        return union("tasks");
    }

    private Set<Integer> union(String file) {
        Set<Integer> ids = new TreeSet<>();
        for (Path dir : dirs.values()) {
            ids.addAll(CgroupFiles.readIds(dir.resolve(file)));
        }
        return ids;
    }

    @Override
    public Cgroup createThreadedChild(String name) {
        return hierarchy.create(path.child(name));
    }

    @Override
    public void setResources(Resources r) {
        if (r.cpuMax() != null) {
            writeCpuMax(r.cpuMax());
        }
        if (r.cpuShares() != null) {
            CgroupFiles.write(file("cpu", "cpu.shares"), Long.toString(r.cpuShares()));
        }
        if (r.cpus() != null) {
            writeCpuset("cpuset.cpus", r.cpus().isEmpty() ? null : r.cpus().toString());
        }
        if (r.mems() != null) {
            writeCpuset("cpuset.mems", r.mems().isEmpty() ? null : r.mems().toString());
        }
        if (r.memoryMaxBytes() != null) {
            CgroupFiles.write(file("memory", "memory.limit_in_bytes"), Long.toString(r.memoryMaxBytes()));
        }
        if (r.pidsMax() != null) {
            CgroupFiles.write(file("pids", "pids.max"),
                    r.pidsMax() == Resources.UNLIMITED ? "max" : Long.toString(r.pidsMax()));
        }
    }

    /**
     * Period first, then quota; if the kernel refuses the period against the quota in force (EINVAL), the
     * other order.
     */
    private void writeCpuMax(CpuMax max) {
        Path period = file("cpu", "cpu.cfs_period_us");
        Path quota = file("cpu", "cpu.cfs_quota_us");
        String q = Long.toString(max.quotaUs());
        String p = Long.toString(max.periodUs());
        if (CgroupFiles.tryWrite(period, p) == null) {
            writeExplained(quota, q);
        } else {
            writeExplained(quota, q);
            writeExplained(period, p);
        }
    }

    private void writeExplained(Path file, String value) {
        Errno errno = CgroupFiles.tryWrite(file, value);
        if (errno != null) {
            throw new CgroupException("write", file, value, errno, errno == Errno.EINVAL
                    ? "quota/period exceeds the bandwidth of the parent or is below that of a child" : null);
        }
    }

    /** An empty list means "inherit": the parent's value is copied. */
    private void writeCpuset(String name, String value) {
        Path target = file("cpuset", name);
        String v = value != null ? value : CgroupFiles.read(target.getParent().getParent().resolve(name)).strip();
        Errno errno = CgroupFiles.tryWrite(target, v);
        if (errno != null) {
            throw new CgroupException("write", target, v, errno,
                    switch (errno) {
                        case EACCES -> "not a subset of the parent's " + name;
                        case EINVAL -> "ids not online, or a child uses ids outside the new value";
                        case ERANGE -> "ids beyond what this host has";
                        default -> null;
                    });
        }
    }

    private Path file(String controller, String name) {
        Path mount = hierarchy.mountOf(controller);
        if (mount == null) {
            throw new CgroupException("write", null, name, Errno.EOPNOTSUPP,
                    "controller '" + controller + "' is not mounted or not used by this hierarchy");
        }
        return dirs.get(mount).resolve(name);
    }

    @Override
    public CgroupStats stats() {
        Long usage = optional("cpuacct", "cpuacct.usage", f -> CgroupFiles.readLong(f) / 1000);
        Map<String, Long> cpuStat = optional("cpu", "cpu.stat", CgroupFiles::readKeyed);
        Long throttledUs = cpuStat == null || cpuStat.get("throttled_time") == null ? null
                : cpuStat.get("throttled_time") / 1000;
        Long throttledPeriods = cpuStat == null ? null : cpuStat.get("nr_throttled");
        Long memCurrent = optional("memory", "memory.usage_in_bytes", CgroupFiles::readLong);
        Map<String, Long> memStat = optional("memory", "memory.stat", CgroupFiles::readKeyed);
        Long anon = memStat == null ? null : memStat.get("total_rss");
        Long file = memStat == null ? null : memStat.get("total_cache");
        Long pids = optional("pids", "pids.current", CgroupFiles::readLong);
        return new CgroupStats(usage, throttledUs, throttledPeriods, memCurrent, anon, file, pids);
    }

    private <T> T optional(String controller, String name, Function<Path, T> reader) {
        Path mount = hierarchy.mountOf(controller);
        if (mount == null) {
            return null;
        }
        Path f = dirs.get(mount).resolve(name);
        return Files.exists(f) ? reader.apply(f) : null;
    }

    @Override
    public DeleteReport delete() {
        Set<CgroupPath> removed = new LinkedHashSet<>();
        List<DeleteReport.Failure> failures = new ArrayList<>();
        for (Path mount : hierarchy.mounts()) {
            DeleteReport r = SubtreeRemover.remove(mount, path, V1Cgroup::evacuate, hierarchy.rmdirBusy());
            removed.addAll(r.removed());
            failures.addAll(r.failures());
        }
        return new DeleteReport(List.copyOf(removed), failures);
    }

    /** Moves each remaining thread to the parent's {@code tasks}. */
    private static void evacuate(Path dir, Path parentDir) {
        TaskMover.moveRemaining(dir.resolve("tasks"), parentDir.resolve("tasks"));
    }

    @Override
    public String toString() {
        return "v1 cgroup " + path;
    }
}
