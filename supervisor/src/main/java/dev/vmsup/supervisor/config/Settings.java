package dev.vmsup.supervisor.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.InvalidCgroupPathException;
import dev.vmsup.cgroupfs.SystemdPath;

/**
 * Settings while they are being gathered: defaults, then the TOML file, then CLI flags, each overriding the
 * last. {@link #resolve} checks them all and yields an immutable {@link SupervisorConfig}; it touches nothing.
 */
public final class Settings {
    /** QEMU's q35 machine takes up to 288 vCPUs; one socket per vCPU keeps hotplug simple. */
    /** Where sandboxes' state dirs go unless {@code state_dir} says otherwise. */
    public static final String STATE_BASE = "/run/vmsup";
    /** The control API socket's name in a state dir. */
    public static final String API_SOCKET = "api.sock";
    public static final int MAX_VCPUS = 255;
    static final int MIN_MEMORY_MIB = 64;
    static final int MAX_MEMORY_MIB = 1 << 22;

    private boolean sandboxCgroupOnly = false;
    private int vcpus = 1;
    private Integer maxVcpus;
    private int memoryMib = 2048;
    private Integer memoryOverheadMib;
    private String qemuPath = "/usr/bin/qemu-system-x86_64";
    private String kernel;
    private String initrd;
    private String kernelParams = "";
    private String virtiofsDaemon = "/usr/lib/qemu/virtiofsd";
    private String cgroupParent = "/vmsup";
    private String overheadCgroup = "/kata_overhead";
    private String sandboxCgroupPrefix = "kata_";
    private String vcpuCgroup = "vcpu";
    private Accel accel = Accel.AUTO;
    private HierarchyChoice cgroupHierarchy = HierarchyChoice.AUTO;
    private List<String> v1Controllers = List.copyOf(new TreeSet<>(CgroupHost.DEFAULT_V1_CONTROLLERS));
    private String stateBase = STATE_BASE;
    private String stateDir;
    private String serial;
    private String containersFile;
    /** DIR or DIR:TAG, or null for no shared directory. */
    private String share;
    /** null: the default in the state dir; "none": no API. */
    private String apiSocket;
    private boolean paused;
    private boolean autoVcpus;
    private Deadlines deadlines = Deadlines.DEFAULTS;
    private SystemdCgroup systemdCgroup = SystemdCgroup.AUTO;

    // fluent setters: each returns this; null where a field is optional means unset
    public Settings sandboxCgroupOnly(boolean value) {
        this.sandboxCgroupOnly = value;
        return this;
    }

    public Settings vcpus(int value) {
        this.vcpus = value;
        return this;
    }

    public Settings maxVcpus(Integer value) {
        this.maxVcpus = value;
        return this;
    }

    public Settings memoryMib(int value) {
        this.memoryMib = value;
        return this;
    }

    public Settings memoryOverheadMib(Integer value) {
        this.memoryOverheadMib = value;
        return this;
    }

    public Settings qemuPath(String value) {
        this.qemuPath = value;
        return this;
    }

    public Settings kernel(String value) {
        this.kernel = value;
        return this;
    }

    public Settings initrd(String value) {
        this.initrd = value;
        return this;
    }

    public Settings kernelParams(String value) {
        this.kernelParams = value;
        return this;
    }

    public Settings virtiofsDaemon(String value) {
        this.virtiofsDaemon = value;
        return this;
    }

    public Settings cgroupParent(String value) {
        this.cgroupParent = value;
        return this;
    }

    public Settings overheadCgroup(String value) {
        this.overheadCgroup = value;
        return this;
    }

    public Settings sandboxCgroupPrefix(String value) {
        this.sandboxCgroupPrefix = value;
        return this;
    }

    public Settings vcpuCgroup(String value) {
        this.vcpuCgroup = value;
        return this;
    }

    public Settings accel(Accel value) {
        this.accel = value;
        return this;
    }

    public Settings cgroupHierarchy(HierarchyChoice value) {
        this.cgroupHierarchy = value;
        return this;
    }

    public Settings v1Controllers(List<String> value) {
        this.v1Controllers = value;
        return this;
    }

    public Settings stateBase(String value) {
        this.stateBase = value;
        return this;
    }

    public Settings stateDir(String value) {
        this.stateDir = value;
        return this;
    }

    public Settings serial(String value) {
        this.serial = value;
        return this;
    }

    public Settings containersFile(String value) {
        this.containersFile = value;
        return this;
    }

    public Settings share(String value) {
        this.share = value;
        return this;
    }

    public Settings apiSocket(String value) {
        this.apiSocket = value;
        return this;
    }

    public Settings paused(boolean value) {
        this.paused = value;
        return this;
    }

    public Settings autoVcpus(boolean value) {
        this.autoVcpus = value;
        return this;
    }

    public Settings systemdCgroup(SystemdCgroup value) {
        this.systemdCgroup = value;
        return this;
    }

    public Settings deadlines(Deadlines value) {
        this.deadlines = value;
        return this;
    }

    /** The deadlines so far (defaults, then the TOML file's). */
    public Deadlines deadlines() {
        return deadlines;
    }

    /** The QEMU binary as configured (not yet checked). */
    public String qemuPath() {
        return qemuPath;
    }

    /** The virtiofsd binary as configured (not yet checked). */
    public String virtiofsDaemon() {
        return virtiofsDaemon;
    }

    /** Where sandboxes' state dirs go by default ({@code state_dir}). */
    public String stateBase() {
        return stateBase;
    }

    /**
     * A copy holding only the cgroup settings, with {@code /bin/sh} for QEMU: for checks of the cgroup layout that
     * run nothing, on a host where QEMU may be missing.
     */
    public Settings cgroupsOnly() {
        return new Settings().cgroupParent(cgroupParent).overheadCgroup(overheadCgroup)
                .sandboxCgroupOnly(sandboxCgroupOnly).cgroupHierarchy(cgroupHierarchy).v1Controllers(v1Controllers)
                .qemuPath("/bin/sh");
    }

    /** Checks every setting and yields the immutable config; touches nothing. */
    public SupervisorConfig resolve(String idText) {
        SandboxId id = new SandboxId(idText);
        int max = maxVcpus != null ? maxVcpus : Math.max(vcpus, 4);
        if (max < 1 || max > MAX_VCPUS) {
            throw new ConfigException("default_maxvcpus", "default_maxvcpus/--max-vcpus must be 1.." + MAX_VCPUS
                    + ", got " + max);
        }
        if (vcpus < 1 || vcpus > max) {
            throw new ConfigException("default_vcpus", "default_vcpus/--vcpus must be 1.." + max + " (max vCPUs), got "
                    + vcpus);
        }
        if (memoryMib < MIN_MEMORY_MIB || memoryMib > MAX_MEMORY_MIB) {
            throw new ConfigException("default_memory", "default_memory/--memory must be " + MIN_MEMORY_MIB + ".."
                    + MAX_MEMORY_MIB + " MiB, got " + memoryMib);
        }
        int overhead = memoryOverheadMib != null ? memoryOverheadMib : memoryMib + 160;
        if (overhead < 0 || overhead > MAX_MEMORY_MIB) {
            throw new ConfigException("memory_overhead", "memory_overhead must be 0.." + MAX_MEMORY_MIB + " MiB, got "
                    + overhead);
        }
        Checks.checkComponent("sandbox_cgroup_prefix", sandboxCgroupPrefix + id.value());
        Checks.checkComponent("vcpu_cgroup", vcpuCgroup);
        Set<String> controllers = new LinkedHashSet<>(v1Controllers);
        for (String c : controllers) {
            if (!c.matches("[a-z_]{2,20}")) {
                throw new ConfigException("v1_controllers", "v1_controllers: " + SandboxId.shown(c)
                        + " is not a controller name");
            }
        }
        Path stateDirPath = stateDir != null ? Checks.absolute("--state-dir", stateDir)
                : Checks.absolute("state_dir", stateBase).resolve(id.value());
        return new SupervisorConfig(id, sandboxCgroupOnly, vcpus, max, memoryMib, overhead,
                Checks.executable("path", qemuPath), Checks.readable("kernel", kernel), Checks.readable("initrd", initrd),
                Checks.checkParams(kernelParams), Checks.absolute("virtio_fs_daemon", virtiofsDaemon),
                Checks.cgroupPath("cgroup_parent", cgroupParent), Checks.cgroupPath("overhead_cgroup", overheadCgroup),
                sandboxCgroupPrefix, vcpuCgroup, Checks.checkAccel(accel, Accel.KVM_DEVICE), cgroupHierarchy,
                controllers, stateDirPath,
                serial != null ? Checks.checkSerial(serial) : stateDirPath.resolve("serial.log").toString(),
                Checks.readable("--containers", containersFile), apiSocketPath(stateDirPath), share(), paused, autoVcpus,
                deadlines, systemdCgroup, systemdScope());
    }

    /** virtio-fs tags are at most 36 bytes. */
    private SupervisorConfig.Share share() {
        if (share == null) {
            return null;
        }
        int colon = share.lastIndexOf(':');
        String dir = colon > 0 ? share.substring(0, colon) : share;
        String tag = colon > 0 ? share.substring(colon + 1) : "share";
        if (!tag.matches("[A-Za-z0-9_.-]{1,36}")) {
            throw new ConfigException("--share", "--share: tag " + SandboxId.shown(tag)
                    + " must be 1-36 characters of A-Z a-z 0-9 _ . -");
        }
        Path p = Checks.absolute("--share", dir);
        if (!Files.isDirectory(p)) {
            throw new ConfigException("--share", "--share: " + p + " is not a directory");
        }
        if (p.toString().indexOf(',') >= 0) {
            throw new ConfigException("--share", "--share: " + p + " contains a comma, which QEMU and virtiofsd options "
                    + "cannot carry");
        }
        return new SupervisorConfig.Share(p, tag);
    }

    /** The scope a systemd-form parent names; systemd_cgroup = on needs one. */
    private SystemdPath.Scope systemdScope() {
        SystemdPath.Scope scope = null;
        if (SystemdPath.isSystemdForm(cgroupParent)) {
            try {
                scope = SystemdPath.scope(cgroupParent);
            } catch (InvalidCgroupPathException e) {
                throw new ConfigException("cgroup_parent", "cgroup_parent: " + e.getMessage());
            }
        }
        if (systemdCgroup == SystemdCgroup.ON && scope == null) {
            throw new ConfigException("systemd_cgroup", "systemd_cgroup = on needs cgroup_parent in the systemd form "
                    + "slice:prefix:name, got " + SandboxId.shown(cgroupParent));
        }
        return scope;
    }

    private Path apiSocketPath(Path stateDirPath) {
        if ("none".equals(apiSocket)) {
            return null;
        }
        return apiSocket == null ? stateDirPath.resolve(API_SOCKET) : Checks.absolute("--api-socket", apiSocket);
    }
}
