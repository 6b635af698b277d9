package dev.vmsup.supervisor.cgroups;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.SupervisorConfig;

/**
 * Where everything of one sandbox lives, per mode and cgroup version ({@code cgroup-layout.md}). Pure.
 *
 * @param sandbox    {@code <parent>/<prefix><id>}
 * @param vcpu       {@code <sandbox>/<vcpu>}, the vCPU threads only
 * @param overhead   {@code <overhead root>/<id>}, or null with sandbox_cgroup_only
 * @param supervisor where vmsup (and virtiofsd) run
 * @param qemu       where QEMU's process is born (on v2 a thread can only move inside its process's threaded
 *                   domain, so QEMU lives in the sandbox cgroup there even when the overhead cgroup exists)
 */
public record CgroupLayout(CgroupPath parent, CgroupPath overheadRoot, CgroupPath sandbox, CgroupPath vcpu,
        CgroupPath overhead, CgroupPath supervisor, CgroupPath qemu) {

    public static CgroupLayout of(SupervisorConfig config, CgroupVersion version) {
        return of(config, version, false);
    }

    /**
     * @param inSystemdScope the parent is a transient scope systemd delegated to vmsup: the overhead cgroup is made
     *                       inside it too ({@code <scope>/overhead_<id>}), so that everything stays in the delegation
     */
    public static CgroupLayout of(SupervisorConfig config, CgroupVersion version, boolean inSystemdScope) {
        CgroupPath sandbox = config.cgroupParent().child(config.sandboxCgroupPrefix() + config.id().value());
        CgroupPath vcpu = sandbox.child(config.vcpuCgroup());
        if (config.sandboxCgroupOnly()) {
            return new CgroupLayout(config.cgroupParent(), null, sandbox, vcpu, null, sandbox, sandbox);
        }
        CgroupPath overheadRoot = inSystemdScope ? config.cgroupParent() : config.overheadCgroup();
        CgroupPath overhead = overheadRoot.child((inSystemdScope ? "overhead_" : "") + config.id().value());
        if (overhead.equals(sandbox) || overhead.contains(sandbox) || sandbox.contains(overhead)) {
            throw new ConfigException("overhead_cgroup", "overhead cgroup " + overhead + " and sandbox cgroup " + sandbox
                    + " must not contain each other");
        }
        CgroupPath qemu = version == CgroupVersion.V2 ? sandbox : overhead;
        return new CgroupLayout(config.cgroupParent(), overheadRoot, sandbox, vcpu, overhead, overhead, qemu);
    }
}
