package dev.vmsup.supervisor.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.virtiofsd.Virtiofsd;
import dev.vmsup.supervisor.cgroups.SandboxCgroups;
import dev.vmsup.supervisor.state.StateDir;
import dev.vmsup.supervisor.usage.UsageSampler;
import dev.vmsup.supervisor.vm.QemuVm;

/**
 * What one sandbox has made so far, filled in as start-up goes, and its removal: QEMU, virtiofsd, QMP, the files,
 * the cgroups (the supervisor returns to where it started first), then the state. Start-up's rollback and the
 * sandbox's teardown are this one removal.
 */
final class SandboxParts {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxParts.class);

    final SandboxCgroups cgroups;
    final StateDir stateDir;
    private final Set<Path> ownFiles = new LinkedHashSet<>();
    Virtiofsd virtiofsd;
    QemuVm vm;
    UsageSampler usage;
    /** Completes once QEMU's exit has been published as an event. */
    java.util.concurrent.CompletableFuture<Void> qemuExitReported = java.util.concurrent.CompletableFuture.completedFuture(null);

    private final SystemdScopes scope;

    SandboxParts(SandboxCgroups cgroups, StateDir stateDir, SystemdScopes scope) {
        this.cgroups = cgroups;
        this.stateDir = stateDir;
        this.scope = scope;
    }

    /** A file this sandbox made (or had made) that goes at removal. */
    void own(Path file) {
        ownFiles.add(file);
    }

    /**
     * Stops what runs, removes what was made. The state file stays while a cgroup is left, so that
     * {@code vmsup cleanup} can finish the job. Returns the cgroups that could not be removed.
     */
    List<DeleteReport.Failure> remove() {
        if (usage != null) {
            usage.close();
        }
        if (vm != null) {
            vm.kill();
        }
        if (virtiofsd != null) {
            virtiofsd.close();
        }
        if (vm != null) {
            vm.close();
        }
        for (Path f : ownFiles) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", f, e.getMessage());
            }
        }
        List<DeleteReport.Failure> failures = cgroups.teardown();
        failures.forEach(f -> LOG.error("cgroup {} left behind: {}", f.path(), f.cause().getMessage()));
        if (scope != null && failures.isEmpty()) {
            try {
                scope.stop();
            } catch (RuntimeException e) {
                LOG.error("systemd scope left: {}", e.getMessage());
                failures.add(new DeleteReport.Failure(cgroups.layout().parent(), new dev.vmsup.cgroupfs.CgroupException(
                        "stop scope", null, null, dev.vmsup.cgroupfs.Errno.EBUSY, e.getMessage())));
            }
        }
        if (failures.isEmpty()) {
            stateDir.remove();
        }
        return failures;
    }
}
