package dev.vmsup.supervisor.sandbox;

import java.time.Duration;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.SandboxCgroups;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.systemd.SystemdManager;

/**
 * A sandbox's cgroups on a host systemd runs: systemd makes the transient scope the parent names (delegated, with
 * vmsup in it), vmsup makes its own cgroups inside (moving itself out of the scope's own cgroup first, since a cgroup
 * holding a process cannot enable controllers for children), writes every limit inside the delegated subtree, and
 * at the end, once it has left and removed its cgroups, stops the scope and waits for systemd to finish.
 */
final class SystemdScopes {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdScopes.class);
    private static final Duration JOB_WAIT = Duration.ofSeconds(30);

    private final SystemdManager manager;
    private final String unit;
    private SandboxCgroups cgroups;

    private SystemdScopes(SystemdManager manager, String unit) {
        this.manager = manager;
        this.unit = unit;
    }

    /** Starts the scope with vmsup in it, then makes the sandbox's cgroups inside it. */
    static SystemdScopes start(SupervisorConfig config, Hierarchy hierarchy, CgroupLayout layout, int self) {
        Map<String, CgroupPath> origin = hierarchy.placementOf(self, self);
        SystemdManager manager = SystemdManager.connect();
        SystemdScopes s = new SystemdScopes(manager, config.systemdScope().unit());
        try {
            manager.startScope(s.unit, config.systemdScope().slice(), "vmsup sandbox " + config.id(), self, JOB_WAIT);
            LOG.info("systemd scope {} in {} started, delegated to vmsup", s.unit, config.systemdScope().slice());
            SandboxCgroups.check(hierarchy, layout);
            s.cgroups = SandboxCgroups.createInScope(hierarchy, layout, self, origin);
            return s;
        } catch (RuntimeException e) {
            hierarchy.returnTo(origin, self);
            s.stop();
            throw e;
        }
    }

    SandboxCgroups cgroups() {
        return cgroups;
    }

    /** Stops the scope (its cgroups removed or never made, vmsup out of it) and closes the bus. */
    void stop() {
        try {
            manager.stopUnit(unit, JOB_WAIT);
        } finally {
            manager.close();
        }
    }
}
