package dev.vmsup.supervisor.sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.SandboxCgroups;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.process.Birth;
import dev.vmsup.supervisor.process.Rebirth;
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

    /**
     * Starts the scope with vmsup in it, then makes vmsup's own cgroup inside and the rest around it; with
     * {@code rebirth} enabled, re-executes vmsup in its own cgroup instead of making the rest (it never returns
     * then: the new image calls {@link #adopt}).
     */
    static SystemdScopes start(SupervisorConfig config, Hierarchy hierarchy, CgroupLayout layout, int self,
            Rebirth rebirth, Runnable checkpoint, Path lockFile) {
        Map<String, CgroupPath> origin = hierarchy.placementOf(self, self);
        SystemdManager manager = SystemdManager.connect();
        SystemdScopes s = new SystemdScopes(manager, config.systemdScope().unit());
        boolean homeMade = false;
        try {
            manager.startScope(s.unit, config.systemdScope().slice(), "vmsup sandbox " + config.id(), self, JOB_WAIT);
            LOG.info("systemd scope {} in {} started, delegated to vmsup", s.unit, config.systemdScope().slice());
            SandboxCgroups.check(hierarchy, layout);
            SandboxCgroups.makeHome(hierarchy, layout, self, true);
            homeMade = true;
            if (rebirth.enabled()) {
                // the bus connection's descriptor is closed by exec; the new image connects again
                rebirth.exec(new Birth(layout.supervisor(), origin), lockFile, checkpoint);
            }
            s.cgroups = SandboxCgroups.createAround(hierarchy, layout, self, origin);
            return s;
        } catch (RuntimeException e) {
            if (homeMade) {
                SandboxCgroups.unmakeHome(hierarchy, layout, self, origin);
            } else {
                hierarchy.returnTo(origin, self);
            }
            s.stop();
            throw e;
        }
    }

    /** In an image re-executed inside the scope: the scope systemd made for the previous image, and the rest. */
    static SystemdScopes adopt(SupervisorConfig config, Hierarchy hierarchy, CgroupLayout layout, int self,
            Map<String, CgroupPath> origin) {
        SystemdScopes s;
        try {
            s = new SystemdScopes(SystemdManager.connect(), config.systemdScope().unit());
        } catch (RuntimeException e) {
            // no bus, so no StopUnit: once vmsup has left it, the scope holds no process and systemd removes it
            SandboxCgroups.unmakeHome(hierarchy, layout, self, origin);
            throw e;
        }
        try {
            s.cgroups = SandboxCgroups.createAround(hierarchy, layout, self, origin);
            return s;
        } catch (RuntimeException e) {
            SandboxCgroups.unmakeHome(hierarchy, layout, self, origin);
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
