package dev.vmsup.supervisor.config;

import java.nio.file.Path;
import java.util.Set;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.SystemdPath;

/**
 * Everything one {@code vmsup run} needs, validated: the sandbox, the VM, the cgroup layout and where
 * runtime files go. Built by {@link Settings#resolve} from defaults, the TOML file and CLI flags.
 *
 * @param memoryOverheadMib added to the containers' memory limits on the sandbox cgroup (sandbox_cgroup_only)
 * @param serial            "stdio", "none", or a file path for the guest's serial console
 * @param containersFile    JSON map of container id to OCI LinuxResources, or null
 * @param apiSocket         the control API's unix socket, or null for none
 * @param share             the directory shared with the guest through virtiofs, or null
 * @param deadlines         how long each wait on QEMU may take
 * @param systemdCgroup     whether the sandbox's cgroup is a transient scope asked of systemd
 * @param systemdScope      the scope the parent names when given in systemd form, or null
 */
public record SupervisorConfig(
        SandboxId id,
        boolean sandboxCgroupOnly,
        int vcpus,
        int maxVcpus,
        int memoryMib,
        int memoryOverheadMib,
        Path qemuPath,
        Path kernel,
        Path initrd,
        String kernelParams,
        Path virtiofsDaemon,
        CgroupPath cgroupParent,
        CgroupPath overheadCgroup,
        String sandboxCgroupPrefix,
        String vcpuCgroup,
        Accel accel,
        HierarchyChoice cgroupHierarchy,
        Set<String> v1Controllers,
        Path stateDir,
        String serial,
        Path containersFile,
        Path apiSocket,
        Share share,
        boolean paused,
        boolean autoVcpus,
        Deadlines deadlines,
        SystemdCgroup systemdCgroup,
        SystemdPath.Scope systemdScope) {

    public SupervisorConfig {
        v1Controllers = Set.copyOf(v1Controllers);
    }

    /** A host directory shared with the guest over virtiofs under {@code tag}. */
    public record Share(Path dir, String tag) {
    }

    /** The virtiofsd vhost-user socket, in the state dir. */
    public Path virtiofsSocket() {
        return stateDir.resolve("virtiofsd.sock");
    }

    /** The QMP socket, in the state dir. */
    public Path qmpSocket() {
        return stateDir.resolve("qmp.sock");
    }
}
