package dev.vmsup.cgroupfs.v1;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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
 * cgroup v1: one cgroup is the same path in each controller hierarchy used. Controllers may be mounted
 * separately ({@code cpu} and {@code cpuacct} here) or together ({@code cpu,cpuacct}); each distinct mount
 * is written once.
 */
public final class V1Hierarchy implements Hierarchy {
    private final Map<String, Path> controllerMounts;
    private final List<Path> mounts;
    private final Path procRoot;
    private final Backoff taskSetup;
    private final Backoff rmdirBusy;

    /**
     * @param controllerMounts controller name to its mount directory (co-mounted controllers share one)
     */
    public V1Hierarchy(Map<String, Path> controllerMounts, Path procRoot, Backoff taskSetup, Backoff rmdirBusy) {
        if (controllerMounts.isEmpty()) {
            throw new IllegalArgumentException("no cgroup v1 controller to work with");
        }
        this.controllerMounts = Collections.unmodifiableMap(new TreeMap<>(controllerMounts));
        this.mounts = controllerMounts.values().stream().distinct().sorted().toList();
        this.procRoot = procRoot;
        this.taskSetup = taskSetup;
        this.rmdirBusy = rmdirBusy;
    }

    public V1Hierarchy(Map<String, Path> controllerMounts, Path procRoot) {
        this(controllerMounts, procRoot, Backoff.TASK_SETUP, Backoff.RMDIR_BUSY);
    }

    @Override
    public CgroupVersion version() {
        return CgroupVersion.V1;
    }

    @Override
    public Set<String> controllers() {
        return controllerMounts.keySet();
    }

    /** The mount directory of {@code controller}, or null when this hierarchy does not use it. */
    Path mountOf(String controller) {
        return controllerMounts.get(controller);
    }

    List<Path> mounts() {
        return mounts;
    }

    Backoff taskSetup() {
        return taskSetup;
    }

    Backoff rmdirBusy() {
        return rmdirBusy;
    }

    @Override
    public boolean exists(CgroupPath path) {
        return mounts.stream().allMatch(m -> MountDirs.resolveInside(m, path).toFile().isDirectory());
    }

    @Override
    public Cgroup create(CgroupPath path) {
        Map<Path, Path> dirs = resolveAll(path);
        boolean created = false;
        for (Map.Entry<Path, Path> e : dirs.entrySet()) {
            Path mount = e.getKey();
            boolean isCpuset = mount.equals(mountOf("cpuset"));
            Path dir = mount;
            for (String component : path.components()) {
                Path parent = dir;
                dir = dir.resolve(component);
                boolean made = CgroupFiles.mkdir(dir);
                if (made && isCpuset) {
                    inheritCpuset(parent, dir);
                }
                if (made && dir.equals(e.getValue())) {
                    created = true;
                }
            }
        }
        return new V1Cgroup(this, path, dirs, created);
    }

    /** A new cpuset cgroup starts with empty cpus and mems, which refuses every task (ENOSPC): copy the parent's. */
    private static void inheritCpuset(Path parent, Path dir) {
        for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
            String value = CgroupFiles.read(parent.resolve(file)).strip();
            if (CgroupFiles.read(dir.resolve(file)).isBlank() && !value.isEmpty()) {
                CgroupFiles.write(dir.resolve(file), value);
            }
        }
    }

    @Override
    public Cgroup load(CgroupPath path) {
        Map<Path, Path> dirs = resolveAll(path);
        for (Path dir : dirs.values()) {
            if (!dir.toFile().isDirectory()) {
                throw new CgroupException("open", dir, null, Errno.ENOENT, "cgroup " + path + " does not exist");
            }
        }
        return new V1Cgroup(this, path, dirs, false);
    }

    @Override
    public DeleteReport remove(CgroupPath path) {
        return new V1Cgroup(this, path, resolveAll(path), false).delete();
    }

    /** Resolves the path in every mount before anything is touched, so bad input changes nothing. */
    private Map<Path, Path> resolveAll(CgroupPath path) {
        if (path.isRoot()) {
            throw new InvalidCgroupPathException("/", "the root cgroup is not managed by vmsup");
        }
        Map<Path, Path> dirs = new LinkedHashMap<>();
        for (Path mount : mounts) {
            dirs.put(mount, MountDirs.resolveInside(mount, path));
        }
        return dirs;
    }

    @Override
    public Map<String, CgroupPath> placementOf(int pid, int tid) {
        ProcCgroupFile file = ProcCgroupFile.read(procRoot, pid, tid);
        Map<String, CgroupPath> placement = new TreeMap<>();
        for (String controller : controllerMounts.keySet()) {
            String p = file.v1Path(controller);
            if (p != null) {
                placement.put(controller, CgroupPath.of(p));
            }
        }
        return placement;
    }

    @Override
    public Placement returnTo(Map<String, CgroupPath> placement, int pid) {
        Map<Path, CgroupPath> byMount = new LinkedHashMap<>();
        placement.forEach((controller, path) -> {
            Path mount = controllerMounts.get(controller);
            if (mount != null) {
                byMount.putIfAbsent(mount, path);
            }
        });
        for (Map.Entry<Path, CgroupPath> e : byMount.entrySet()) {
            Path procs = MountDirs.resolveInside(e.getKey(), e.getValue()).resolve("cgroup.procs");
            if (TaskMover.move(procs, pid, taskSetup, (f, errno) -> null) == Placement.GONE) {
                return Placement.GONE;
            }
        }
        return Placement.MOVED;
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        controllerMounts.forEach((c, m) -> parts.add(c + "=" + m));
        return "cgroup v1 " + parts;
    }
}
