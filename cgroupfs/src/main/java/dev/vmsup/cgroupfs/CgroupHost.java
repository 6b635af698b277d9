package dev.vmsup.cgroupfs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.vmsup.cgroupfs.internal.CgroupFiles;
import dev.vmsup.cgroupfs.internal.MountEntry;
import dev.vmsup.cgroupfs.v1.V1Hierarchy;
import dev.vmsup.cgroupfs.v2.V2Hierarchy;


/**
 * What cgroup interfaces this host has, detected from {@code /proc/self/mountinfo}: v1 controller mounts
 * (separate or co-mounted such as {@code cpu,cpuacct}), a cgroup2 mount, or both (hybrid). Paths are taken
 * relative to an injectable filesystem root so tests and unusual hosts can point it elsewhere.
 */
public record CgroupHost(Mode mode, Map<String, Path> v1Mounts, Path unifiedMount, Path procRoot) {
    /** Pure v1, pure v2 (unified), or v1 controllers beside a cgroup2 mount. */
    public enum Mode {
        V1, V2, HYBRID
    }

    /** The v1 controllers the kernel knows; mount options that are not among these are ignored. */
    static final Set<String> V1_CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer",
            "net_cls", "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc");

    /** The v1 controllers vmsup places tasks in and writes limits for, when mounted. */
    public static final Set<String> DEFAULT_V1_CONTROLLERS = Set.of("cpu", "cpuacct", "cpuset", "memory", "pids");

    public CgroupHost {
        v1Mounts = Map.copyOf(v1Mounts);
    }

    public static CgroupHost detect() {
        return detect(Path.of("/"));
    }

    /** Reads {@code <fsRoot>/proc/self/mountinfo} and maps every mount point under {@code fsRoot}. */
    public static CgroupHost detect(Path fsRoot) {
        Path procRoot = fsRoot.resolve("proc");
        String text = CgroupFiles.read(procRoot.resolve("self/mountinfo"));
        return fromMounts(MountEntry.parseAll(text), fsRoot, procRoot);
    }

    public static CgroupHost fromMounts(List<MountEntry> mounts, Path fsRoot, Path procRoot) {
        Map<String, Path> v1 = new TreeMap<>();
        Path unified = null;
        for (MountEntry m : mounts) {
            Path at = fsRoot.resolve(m.mountPoint().substring(1));
            if (m.fsType().equals("cgroup2")) {
                if (unified == null) {
                    unified = at;
                }
            } else if (m.fsType().equals("cgroup")) {
                for (String option : m.superOptions()) {
                    if (V1_CONTROLLERS.contains(option)) {
                        v1.putIfAbsent(option, at);
                    }
                }
            }
        }
        if (v1.isEmpty() && unified == null) {
            throw new CgroupException("detect", procRoot.resolve("self/mountinfo"), null, Errno.ENOENT,
                    "no cgroup or cgroup2 filesystem is mounted");
        }
        Mode mode = v1.isEmpty() ? Mode.V2 : unified == null ? Mode.V1 : Mode.HYBRID;
        return new CgroupHost(mode, v1, unified, procRoot);
    }

    /** The v1 hierarchy over the mounted controllers among {@code controllers}. */
    public V1Hierarchy v1(Set<String> controllers) {
        Map<String, Path> chosen = new LinkedHashMap<>();
        for (String c : controllers) {
            if (v1Mounts.containsKey(c)) {
                chosen.put(c, v1Mounts.get(c));
            }
        }
        if (chosen.isEmpty()) {
            throw new CgroupException("open", null, null, Errno.EOPNOTSUPP,
                    "none of the v1 controllers " + controllers + " is mounted on this host");
        }
        return new V1Hierarchy(chosen, procRoot);
    }

    public V1Hierarchy v1() {
        return v1(DEFAULT_V1_CONTROLLERS);
    }

    /** The unified hierarchy; EOPNOTSUPP if no cgroup2 filesystem is mounted. */
    public V2Hierarchy v2() {
        if (unifiedMount == null) {
            throw new CgroupException("open", null, null, Errno.EOPNOTSUPP, "no cgroup2 filesystem is mounted");
        }
        return new V2Hierarchy(unifiedMount, procRoot);
    }

    /**
     * The hierarchy vmsup uses for placement and limits: v2 on a pure v2 host, v1 where v1 controllers are
     * mounted (on a hybrid host the controllers live in v1).
     */
    public Hierarchy preferred() {
        return preferred(DEFAULT_V1_CONTROLLERS);
    }

    /** As {@link #preferred()}, with {@code v1Controllers} where v1 is used. */
    public Hierarchy preferred(Set<String> v1Controllers) {
        return mode == Mode.V2 ? v2() : v1(v1Controllers);
    }

    /** Controllers available in the unified hierarchy (its root's {@code cgroup.controllers}); empty if none. */
    public Set<String> unifiedControllers() {
        if (unifiedMount == null || !Files.exists(unifiedMount.resolve("cgroup.controllers"))) {
            return Set.of();
        }
        String text = CgroupFiles.read(unifiedMount.resolve("cgroup.controllers")).strip();
        return text.isEmpty() ? Set.of() : Set.of(text.split("\\s+"));
    }
}
