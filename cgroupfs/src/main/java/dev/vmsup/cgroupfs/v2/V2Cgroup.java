package dev.vmsup.cgroupfs.v2;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupStats;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Errno;
import dev.vmsup.cgroupfs.Placement;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.internal.SubtreeRemover;
import dev.vmsup.cgroupfs.internal.TaskMover;


/** One cgroup of a {@link V2Hierarchy}. */
final class V2Cgroup implements Cgroup {
    private final V2Hierarchy hierarchy;
    private final CgroupPath path;
    private final Path dir;
    private final boolean created;

    V2Cgroup(V2Hierarchy hierarchy, CgroupPath path, Path dir, boolean created) {
        this.hierarchy = hierarchy;
        this.path = path;
        this.dir = dir;
        this.created = created;
    }

    @Override
    public CgroupPath path() {
        return path;
    }

    @Override
    public Set<String> controllers() {
        return V2Hierarchy.readList(dir.resolve("cgroup.controllers"));
    }

    @Override
    public boolean created() {
        return created;
    }

    @Override
    public Placement addProcess(int pid) {
        return TaskMover.move(dir.resolve("cgroup.procs"), pid, hierarchy.taskSetup(), this::explain);
    }

    @Override
    public List<Path> procsFiles() {
        return List.of(dir.resolve("cgroup.procs"));
    }

    @Override
    public Placement addThread(int tid) {
        return TaskMover.move(dir.resolve("cgroup.threads"), tid, hierarchy.taskSetup(), this::explain);
    }

    @Override
    public Placement addThread(int tid, Set<String> controllers) {
        return addThread(tid);
    }

    private String explain(Path file, Errno errno) {
        String name = file.getFileName().toString();
        return switch (errno) {
            case EOPNOTSUPP -> name.equals("cgroup.threads")
                    ? "the thread's process is in another threaded domain (a thread can move only inside the "
                            + "threaded subtree of its own process)"
                    : "the target's cgroup.type is 'domain invalid' (a domain below a threaded cgroup)";
            case EBUSY -> "no internal processes: " + path + " has domain controllers enabled for its children";
            case ENOENT -> "cgroup " + path + " was removed";
            default -> null;
        };
    }

    @Override
    public Set<Integer> processes() {
        return new TreeSet<>(CgroupFiles.readIds(dir.resolve("cgroup.procs")));
    }

    @Override
    public Set<Integer> threads() {
        return new TreeSet<>(CgroupFiles.readIds(dir.resolve("cgroup.threads")));
    }

    /** mkdir, then {@code threaded} into the child's {@code cgroup.type}, then the threaded controllers enabled. */
    @Override
    public Cgroup createThreadedChild(String name) {
        CgroupPath childPath = path.child(name);
        Path child = dir.resolve(name);
        boolean made = CgroupFiles.mkdir(child);
        Path type = child.resolve("cgroup.type");
        if (!CgroupFiles.read(type).strip().equals("threaded")) {
            Errno errno = CgroupFiles.tryWrite(type, "threaded");
            if (errno != null) {
                throw new CgroupException("write", type, "threaded", errno,
                        "cannot make " + childPath + " threaded (its parent has domain controllers enabled, or it has "
                                + "domain children)");
            }
        }
        hierarchy.enableTopDown(path, V2Hierarchy.THREADED_CONTROLLERS);
        return new V2Cgroup(hierarchy, childPath, child, made);
    }

    @Override
    public void setResources(Resources r) {
        if (r.cpuMax() != null) {
            write("cpu", "cpu.max", r.cpuMax().toV2());
        }
        if (r.cpuShares() != null) {
            write("cpu", "cpu.weight", Long.toString(Resources.sharesToWeight(r.cpuShares())));
        }
        if (r.cpus() != null) {
            write("cpuset", "cpuset.cpus", r.cpus().toString());
        }
        if (r.mems() != null) {
            write("cpuset", "cpuset.mems", r.mems().toString());
        }
        if (r.memoryMaxBytes() != null) {
            write("memory", "memory.max", maxOr(r.memoryMaxBytes()));
        }
        if (r.pidsMax() != null) {
            write("pids", "pids.max", maxOr(r.pidsMax()));
        }
    }

    private static String maxOr(long value) {
        return value == Resources.UNLIMITED ? "max" : Long.toString(value);
    }

    private void write(String controller, String name, String value) {
        Path file = dir.resolve(name);
        Errno errno = CgroupFiles.tryWrite(file, value);
        if (errno == null) {
            return;
        }
        String hint = switch (errno) {
            case ENOENT -> "controller '" + controller + "' is not enabled in the parent's cgroup.subtree_control";
            case EINVAL -> name.startsWith("cpuset.") ? "not within the parent's effective " + name : null;
            default -> null;
        };
        throw new CgroupException("write", file, value, errno, hint);
    }

    @Override
    public CgroupStats stats() {
        Map<String, Long> cpu = optional("cpu.stat", CgroupFiles::readKeyed);
        Map<String, Long> mem = optional("memory.stat", CgroupFiles::readKeyed);
        return new CgroupStats(
                cpu == null ? null : cpu.get("usage_usec"),
                cpu == null ? null : cpu.get("throttled_usec"),
                cpu == null ? null : cpu.get("nr_throttled"),
                optional("memory.current", CgroupFiles::readLong),
                mem == null ? null : mem.get("anon"),
                mem == null ? null : mem.get("file"),
                optional("pids.current", CgroupFiles::readLong));
    }

    private <T> T optional(String name, Function<Path, T> reader) {
        Path f = dir.resolve(name);
        return Files.exists(f) ? reader.apply(f) : null;
    }

    @Override
    public DeleteReport delete() {
        return SubtreeRemover.remove(hierarchy.mount(), path, this::evacuate, hierarchy.rmdirBusy());
    }

    /**
     * Moves what is left to the parent: single threads of a threaded cgroup through {@code cgroup.threads}, whole
     * processes of a domain cgroup through {@code cgroup.procs}. A parent with domain controllers enabled for its
     * children cannot take processes ("no internal processes", EBUSY): they go to the nearest ancestor that can,
     * at worst the root.
     */
    private void evacuate(Path dir, Path parentDir) {
        boolean threaded = CgroupFiles.read(dir.resolve("cgroup.type")).strip().equals("threaded");
        if (threaded) {
            TaskMover.moveRemaining(dir.resolve("cgroup.threads"), parentDir.resolve("cgroup.threads"));
            return;
        }
        Path mount = hierarchy.mount();
        for (int pid : CgroupFiles.readIds(dir.resolve("cgroup.procs"))) {
            String value = Integer.toString(pid);
            for (Path target = parentDir; ; target = target.getParent()) {
                Errno errno = CgroupFiles.tryWrite(target.resolve("cgroup.procs"), value);
                if (errno == null || errno == Errno.ESRCH) {
                    break;
                }
                if (errno != Errno.EBUSY || target.equals(mount)) {
                    throw new CgroupException("write", target.resolve("cgroup.procs"), value, errno,
                            "moving a remaining process out of " + dir);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "v2 cgroup " + path;
    }
}
