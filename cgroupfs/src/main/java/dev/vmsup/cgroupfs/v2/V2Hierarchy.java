package dev.vmsup.cgroupfs.v2;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.vmsup.cgroupfs.Cgroup;
import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Errno;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.cgroupfs.InvalidCgroupPathException;
import dev.vmsup.cgroupfs.Placement;
import dev.vmsup.cgroupfs.internal.Backoff;
import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.internal.MountDirs;
import dev.vmsup.cgroupfs.internal.ProcCgroupFile;
import dev.vmsup.cgroupfs.internal.TaskMover;


/**
 * cgroup v2: one unified hierarchy. Controllers are enabled top-down through {@code cgroup.subtree_control};
 * {@link #create} enables the wanted ones from the root down to the new cgroup's parent, so the new cgroup
 * has their interface files.
 */
public final class V2Hierarchy implements Hierarchy {
    /** The controllers that work in threaded cgroups and that placement uses. */
    static final Set<String> THREADED_CONTROLLERS = Set.of("cpu", "cpuset", "pids");
    /** The controllers vmsup writes limits for, when the host has them. */
    public static final Set<String> DEFAULT_CONTROLLERS = Set.of("cpu", "cpuset", "memory", "pids");

    private final Path mount;
    private final Path procRoot;
    private final Set<String> wanted;
    private final Backoff taskSetup;
    private final Backoff rmdirBusy;

    public V2Hierarchy(Path mount, Path procRoot, Set<String> wanted, Backoff taskSetup, Backoff rmdirBusy) {
        this.mount = mount;
        this.procRoot = procRoot;
        this.wanted = Set.copyOf(wanted);
        this.taskSetup = taskSetup;
        this.rmdirBusy = rmdirBusy;
    }

    public V2Hierarchy(Path mount, Path procRoot) {
        this(mount, procRoot, DEFAULT_CONTROLLERS, Backoff.TASK_SETUP, Backoff.RMDIR_BUSY);
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V2;
    }

    @Override
    public Set<String> controllers() {
        return readList(mount.resolve("cgroup.controllers"));
    }

    Path mount() {
        return mount;
    }

    Backoff taskSetup() {
        return taskSetup;
    }

    Backoff rmdirBusy() {
        return rmdirBusy;
    }

    static Set<String> readList(Path file) {
        String text = CgroupFiles.read(file).strip();
        return text.isEmpty() ? Set.of() : new TreeSet<>(Arrays.asList(text.split("\\s+")));
    }

    @Override
    public boolean exists(CgroupPath path) {
        return Files.isDirectory(MountDirs.resolveInside(mount, path));
    }

    @Override
    public Cgroup create(CgroupPath path) {
        V2Cgroup cgroup = mkdirs(path);
        enableTopDown(path.parent(), wanted);
        return cgroup;
    }

    @Override
    public Cgroup createWithoutControllers(CgroupPath path) {
        return mkdirs(path);
    }

    /** Makes {@code path} and its missing ancestors; "created" says whether the leaf itself was new. */
    private V2Cgroup mkdirs(CgroupPath path) {
        Path target = resolve(path);
        Path dir = mount;
        boolean created = false;
        for (String component : path.components()) {
            dir = dir.resolve(component);
            created = CgroupFiles.mkdir(dir);
        }
        return new V2Cgroup(this, path, target, created);
    }

    @Override
    public DeleteReport remove(CgroupPath path) {
        return exists(path) ? load(path).delete() : new DeleteReport(List.of(), List.of());
    }

    @Override
    public Cgroup load(CgroupPath path) {
        Path dir = resolve(path);
        if (!Files.isDirectory(dir)) {
            throw new CgroupException("open", dir, null, Errno.ENOENT, "cgroup " + path + " does not exist");
        }
        return new V2Cgroup(this, path, dir, false);
    }

    private Path resolve(CgroupPath path) {
        if (path.isRoot()) {
            throw new InvalidCgroupPathException("/", "the root cgroup is not managed by vmsup");
        }
        return MountDirs.resolveInside(mount, path);
    }

    /**
     * Enables each controller of {@code controllers} that the host has in every {@code cgroup.subtree_control}
     * from the root down to {@code last} (inclusive), writing only what is missing. Returns the controllers
     * that are enabled in {@code last}'s subtree afterwards.
     */
    Set<String> enableTopDown(CgroupPath last, Set<String> controllers) {
        Set<String> enabled = new LinkedHashSet<>();
        Path dir = mount;
        List<String> components = last.components();
        for (int depth = 0; depth <= components.size(); depth++) {
            if (depth > 0) {
                dir = dir.resolve(components.get(depth - 1));
            }
            Set<String> available = readList(dir.resolve("cgroup.controllers"));
            Set<String> active = readList(dir.resolve("cgroup.subtree_control"));
            Set<String> missing = new TreeSet<>();
            for (String c : controllers) {
                if (available.contains(c) && !active.contains(c)) {
                    missing.add(c);
                }
            }
            if (!missing.isEmpty()) {
                Path file = dir.resolve("cgroup.subtree_control");
                String value = "+" + String.join(" +", missing);
                Errno errno = CgroupFiles.tryWrite(file, value);
                if (errno != null) {
                    throw new CgroupException("write", file, value, errno, "cannot enable " + missing + " for the children of "
                            + (depth == 0 ? "/" : "/" + String.join("/", components.subList(0, depth)))
                            + subtreeHint(errno));
                }
            }
            enabled.clear();
            for (String c : controllers) {
                if (available.contains(c)) {
                    enabled.add(c);
                }
            }
        }
        return enabled;
    }

    private static String subtreeHint(Errno errno) {
        return switch (errno) {
            case EBUSY -> " (no internal processes: that cgroup holds processes of its own)";
            case ENOENT -> " (the controller is not enabled in its parent)";
            case EOPNOTSUPP -> " (a threaded cgroup takes only threaded controllers)";
            default -> "";
        };
    }

    @Override
    public Map<String, CgroupPath> placementOf(int pid, int tid) {
        String p = ProcCgroupFile.read(procRoot, pid, tid).v2Path();
        return p == null ? Map.of() : Map.of("unified", CgroupPath.of(p));
    }

    @Override
    public Placement returnTo(Map<String, CgroupPath> placement, int pid) {
        CgroupPath path = placement.get("unified");
        if (path == null) {
            throw new IllegalArgumentException("no unified-hierarchy entry in " + placement);
        }
        Path procs = MountDirs.resolveInside(mount, path).resolve("cgroup.procs");
        return TaskMover.move(procs, pid, taskSetup, (f, errno) -> null);
    }

    @Override
    public String toString() {
        return "cgroup v2 at " + mount;
    }
}
