package dev.vmsup.supervisor.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.virtiofsd.CacheMode;
import dev.vmsup.virtiofsd.Virtiofsd;
import dev.vmsup.virtiofsd.VirtiofsdException;
import io.vertx.core.Vertx;
import dev.vmsup.supervisor.SupervisorException;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.SandboxCgroups;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.resources.MergedResources;
import dev.vmsup.supervisor.resources.ResourceMerger;
import dev.vmsup.supervisor.state.Cleanup;
import dev.vmsup.supervisor.state.ProcessIdentity;
import dev.vmsup.supervisor.state.StateDir;
import dev.vmsup.supervisor.state.StateFile;
import dev.vmsup.supervisor.process.Birth;
import dev.vmsup.supervisor.process.Rebirth;
import dev.vmsup.supervisor.systemd.SystemdManager;
import dev.vmsup.supervisor.usage.UsageSampler;
import dev.vmsup.supervisor.vm.AccelProbe;
import dev.vmsup.supervisor.vm.QemuVm;
import dev.vmsup.supervisor.vm.VmLauncher;

/**
 * The start recipe of a sandbox, in the order of {@code cgroup-layout.md}: config, layout, checks, cgroups, state
 * file, virtiofsd, QEMU born in its cgroup, QMP, vCPU placement, limits, then {@code cont} unless paused. Each
 * step is recorded before the next; on any failure everything made so far is removed and the exception says
 * which step failed.
 */
public final class SandboxStartup {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxStartup.class);

    private SandboxStartup() {
    }

    /** Starts a sandbox whose QEMU is a child process; its QMP I/O runs on {@code vertx}. */
    public static Sandbox start(SupervisorConfig config, Map<String, ContainerResources> containers, CgroupHost host,
            Vertx vertx) {
        return start(config, containers, host, vertx, VmLauncher.PROCESS, new StopRequest());
    }

    /**
     * As {@link #start(SupervisorConfig, Map, CgroupHost, Vertx)}, with the way the VM process starts replaced and
     * the stop request the caller's signal handlers already feed. Never re-executes this process.
     */
    public static Sandbox start(SupervisorConfig config, Map<String, ContainerResources> containers, CgroupHost host,
            Vertx vertx, VmLauncher launcher, StopRequest stop) {
        return launch(prepare(config, containers, host, stop, Rebirth.disabled()), () -> vertx, launcher, stop);
    }

    /**
     * The first half of the recipe: the lock, the checks, the intent recorded, the sandbox's cgroups (through systemd
     * where it runs the host) with this process in its own. With {@code rebirth} enabled, this process makes its own
     * cgroup, moves in and re-executes itself there (this call then never returns); the new image, born in that
     * cgroup ({@link Rebirth#born}), adopts it and makes the rest.
     */
    public static Prepared prepare(SupervisorConfig config, Map<String, ContainerResources> containers,
            CgroupHost host, StopRequest stop, Rebirth rebirth) {
        Hierarchy hierarchy = config.cgroupHierarchy().open(host, config.v1Controllers());
        boolean viaSystemd = viaSystemd(config, host);
        CgroupLayout layout = CgroupLayout.of(config, hierarchy.version(), viaSystemd);
        MergedResources merged = ResourceMerger.merge(containers.values());
        String accel = AccelProbe.resolve(config.accel(), host.procRoot());
        Birth birth = rebirth.enabled() ? null : Rebirth.born();

        StateDir stateDir = StateDir.open(config.stateDir());
        stateDir.lock(); // from here on this process alone owns the sandbox's state and cgroups
        int self = (int) ProcessHandle.current().pid();
        boolean atHome = birth == null && atHome(hierarchy, layout, viaSystemd, self);
        SandboxCgroups cgroups;
        SystemdScopes scope = null;
        try {
            if (birth != null) {
                adopt(stateDir, birth, layout, host.procRoot(), self);
                SandboxCgroups.check(hierarchy, layout, layout.supervisor());
                scope = viaSystemd ? SystemdScopes.adopt(config, hierarchy, layout, self, birth.origin()) : null;
                cgroups = viaSystemd ? scope.cgroups()
                        : createAround(hierarchy, layout, self, birth.origin());
            } else {
                cleanUpAfterDeadSupervisor(stateDir, config, host);
                refuseExisting(config.qmpSocket(), "QMP");
                refuseExisting(config.apiSocket(), "API");
                SandboxCgroups.check(hierarchy, layout, atHome ? layout.supervisor() : null);
                stop.checkpoint("creating cgroups");
                // intent first: should this process die from here on, vmsup cleanup finds what it was about to make
                stateDir.record(initialState(config, hierarchy, layout, ProcessIdentity.of(host.procRoot(), self),
                        stateDir.created(), viaSystemd ? config.systemdScope().unit() : null, atHome));
                if (atHome) {
                    cgroups = SandboxCgroups.createBesideRuntimes(hierarchy, layout, self);
                } else if (viaSystemd) {
                    scope = SystemdScopes.start(config, hierarchy, layout, self, rebirth,
                            () -> stop.checkpoint("re-executing in its own cgroup"), stateDir.lockFile());
                    cgroups = scope.cgroups();
                } else if (rebirth.enabled()) {
                    Map<String, CgroupPath> origin = hierarchy.placementOf(self, self);
                    SandboxCgroups.makeHome(hierarchy, layout, self, false);
                    try {
                        rebirth.exec(new Birth(layout.supervisor(), origin), stateDir.lockFile(),
                                () -> stop.checkpoint("re-executing in its own cgroup"));
                    } finally {
                        SandboxCgroups.unmakeHome(hierarchy, layout, self, origin); // reached only if exec failed
                    }
                    throw new IllegalStateException("unreachable: exec returns only by throwing");
                } else {
                    cgroups = SandboxCgroups.create(hierarchy, layout, self);
                }
            }
        } catch (RuntimeException e) {
            if (scope != null) {
                scope.stop();
            }
            stateDir.remove();
            throw e;
        }
        return new Prepared(new SandboxParts(cgroups, stateDir, scope), config, containers, merged, accel,
                host.procRoot());
    }

    /**
     * The runtime's contract (README): spawned by the runtime in the overhead cgroup it made for vmsup (the default
     * mode, not through systemd), vmsup is charged there from its first page and needs no re-execution.
     */
    public static boolean spawnedAtHome(SupervisorConfig config, CgroupHost host) {
        Hierarchy hierarchy = config.cgroupHierarchy().open(host, config.v1Controllers());
        boolean viaSystemd = viaSystemd(config, host);
        int self = (int) ProcessHandle.current().pid();
        return atHome(hierarchy, CgroupLayout.of(config, hierarchy.version(), viaSystemd), viaSystemd, self);
    }

    private static boolean atHome(Hierarchy hierarchy, CgroupLayout layout, boolean viaSystemd, int self) {
        return !viaSystemd && layout.overhead() != null && layout.overhead().equals(layout.supervisor())
                && hierarchy.isPlaced(layout.supervisor(), self, self);
    }

    private static SandboxCgroups createAround(Hierarchy hierarchy, CgroupLayout layout, int self,
            Map<String, CgroupPath> origin) {
        try {
            return SandboxCgroups.createAround(hierarchy, layout, self, origin);
        } catch (RuntimeException e) {
            SandboxCgroups.unmakeHome(hierarchy, layout, self, origin);
            throw e;
        }
    }

    /**
     * This process was re-executed in its own cgroup: the state file must name this very process (pid, start time,
     * command) and the birth's cgroup must be the one this config gives vmsup; the state dir is then this sandbox's
     * as the previous image recorded it.
     */
    private static void adopt(StateDir stateDir, Birth birth, CgroupLayout layout, Path procRoot, int self) {
        StateFile recorded = stateDir.read();
        ProcessIdentity me = ProcessIdentity.of(procRoot, self);
        if (recorded == null || !me.equals(recorded.supervisor())) {
            throw new SupervisorException(Birth.ENV + " is set, but the state file in " + stateDir.path()
                    + " does not name this process (" + me + "): refusing to adopt " + birth.home());
        }
        if (!birth.home().equals(layout.supervisor())) {
            throw new SupervisorException(Birth.ENV + " names " + birth.home() + ", but this configuration puts vmsup in "
                    + layout.supervisor());
        }
        if (recorded.stateDirCreated()) {
            stateDir.adoptCreated();
        }
        stateDir.record(recorded); // what this image goes on from
    }

    /**
     * The second half: virtiofsd, QEMU, QMP (on the event loop {@code vertx} gives, asked for once QEMU is started),
     * placement, limits; on failure everything prepared goes.
     */
    public static Sandbox launch(Prepared prepared, Supplier<Vertx> vertx, VmLauncher launcher, StopRequest stop) {
        SandboxParts parts = prepared.parts;
        SupervisorConfig config = prepared.config;
        EventFeed feed = new EventFeed();
        stop.onRequested(why -> feed.publish(SandboxEvent.of("stopping", "reason", why)));
        try {
            launch(config, parts, prepared.accel, launcher, prepared.procRoot, vertx, stop, feed);
            Sandbox sandbox = new Sandbox(config, parts, stop, prepared.containers, feed);
            sandbox.begin(prepared.merged);
            parts.usage = UsageSampler.start(prepared.procRoot, SandboxSubjects.of(sandbox));
            return sandbox;
        } catch (RuntimeException e) {
            parts.remove();
            throw e;
        }
    }

    /** A sandbox between {@link #prepare} and {@link #launch}: its lock, state and cgroups, nothing started yet. */
    public static final class Prepared {
        private final SandboxParts parts;
        private final SupervisorConfig config;
        private final Map<String, ContainerResources> containers;
        private final MergedResources merged;
        private final String accel;
        private final Path procRoot;

        private Prepared(SandboxParts parts, SupervisorConfig config, Map<String, ContainerResources> containers,
                MergedResources merged, String accel, Path procRoot) {
            this.parts = parts;
            this.config = config;
            this.containers = containers;
            this.merged = merged;
            this.accel = accel;
            this.procRoot = procRoot;
        }

        /** Removes what was prepared, for a caller that cannot go on to {@link #launch}. */
        public void abandon() {
            parts.remove();
        }
    }

    private static void cleanUpAfterDeadSupervisor(StateDir stateDir, SupervisorConfig config, CgroupHost host) {
        try {
            if (stateDir.read() == null) {
                return;
            }
        } catch (StateFile.UnreadableStateException e) {
            throw new SupervisorException(e.getMessage() + "; vmsup cleanup --id " + config.id()
                    + " moves it aside (what it recorded must then be checked by hand)");
        }
        Cleanup.Result r = Cleanup.run(stateDir, host, config.id().value(), SystemdManager::stopNow);
        if (!r.clean()) {
            throw new SupervisorException(String.join("; ", r.failures()));
        }
        if (r.stateDirCreated()) {
            stateDir.adoptCreated(); // made for this sandbox id by the dead supervisor: this one removes it at the end
        }
        LOG.warn("sandbox {}: cleaned up after a supervisor that died: {}", config.id(), String.join("; ", r.actions()));
    }

    private static void refuseExisting(Path socket, String what) {
        if (socket != null && Files.exists(socket)) {
            throw new SupervisorException(what + " socket " + socket + " already exists: another vmsup may run "
                    + "with this state dir");
        }
    }

    /** What {@code vmsup cleanup} needs should this supervisor die from here on. */
    /** systemd_cgroup: on, or auto with a systemd-form parent on a host PID 1 systemd runs. */
    private static boolean viaSystemd(SupervisorConfig config, CgroupHost host) {
        return switch (config.systemdCgroup()) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> config.systemdScope() != null && SystemdManager.runsThisHost(host.procRoot());
        };
    }

    private static StateFile initialState(SupervisorConfig config, Hierarchy hierarchy, CgroupLayout layout,
            ProcessIdentity self, boolean stateDirCreated, String systemdScope, boolean overheadIsRuntimes) {
        List<String> created = new ArrayList<>(List.of(layout.sandbox().toString()));
        if (layout.overhead() != null && !overheadIsRuntimes) {
            created.add(layout.overhead().toString());
        }
        List<String> files = new ArrayList<>(List.of(config.qmpSocket().toString(), config.virtiofsSocket().toString()));
        if (config.apiSocket() != null) {
            files.add(config.apiSocket().toString());
        }
        List<String> roots = new ArrayList<>(List.of(layout.parent().toString()));
        if (layout.overheadRoot() != null) {
            roots.add(layout.overheadRoot().toString());
        }
        return new StateFile(config.id().value(), self, null, null, hierarchy.version().name().toLowerCase(),
                List.copyOf(config.v1Controllers()), roots, created, files, stateDirCreated, systemdScope);
    }

    /**
     * virtiofsd born where the supervisor lives, QEMU born in its own cgroup (the supervisor hops there and back),
     * both checked, then QMP. QEMU's exit, a lost QMP connection or virtiofsd's exit ask the sandbox to stop.
     */
    private static void launch(SupervisorConfig config, SandboxParts parts, String accel, VmLauncher launcher,
            Path procRoot, Supplier<Vertx> vertx, StopRequest stop, EventFeed feed) {
        SandboxCgroups cgroups = parts.cgroups;
        CgroupLayout layout = cgroups.layout();
        StateDir stateDir = parts.stateDir;
        if (cgroups.hierarchy().version() == CgroupVersion.V2 && !layout.qemu().equals(layout.supervisor())) {
            LOG.info("cgroup v2: QEMU's process lives in {} (a thread can only move within its process's threaded "
                    + "domain); the rest of the overhead stays in {}", layout.qemu(), layout.supervisor());
        }
        if (config.share() != null) {
            cgroups.moveSelf(layout.supervisor());
            try {
                parts.virtiofsd = Virtiofsd.start(config.virtiofsDaemon(), config.share().dir(), config.virtiofsSocket(),
                        CacheMode.AUTO, why -> {
                            feed.publish(SandboxEvent.of("virtiofsd_exit", "reason", why));
                            stop.fail(why + ": the guest has lost its shared filesystem");
                        }, VmLauncher::tiedToSupervisor);
            } catch (VirtiofsdException e) {
                throw new SupervisorException("starting virtiofsd failed", e);
            }
            parts.own(config.virtiofsSocket());
            stateDir.record(stateDir.current().withVirtiofsd(ProcessIdentity.child(procRoot, parts.virtiofsd.pid(),
                    config.virtiofsDaemon())));
            cgroups.verify("virtiofsd", (int) parts.virtiofsd.pid(), layout.supervisor());
        }
        stop.checkpoint("starting QEMU");
        // QEMU born in its cgroup: where that is not vmsup's own (v2), the child moves itself there before exec, and
        // vmsup moves it too (whichever comes first), so vmsup never steps in and has none of its memory charged there
        cgroups.moveSelf(layout.supervisor()); // already there when it re-executed itself there
        boolean elsewhere = !layout.qemu().equals(layout.supervisor());
        QemuVm vm = QemuVm.launch(config, accel, launcher, procRoot,
                elsewhere ? cgroups.procsFiles(layout.qemu()) : List.of());
        parts.vm = vm;
        if (elsewhere) {
            cgroups.placeProcess(layout.qemu(), (int) vm.pid());
        }
        stateDir.record(stateDir.current().withQemu(ProcessIdentity.child(procRoot, vm.pid(), config.qemuPath())));
        cgroups.verify("QEMU", (int) vm.pid(), layout.qemu());
        cgroups.verify("vmsup", (int) ProcessHandle.current().pid(), layout.supervisor());
        parts.qemuExitReported = vm.exited().thenAccept(p -> {
            String abnormal = vm.abnormalExit();
            feed.publish(SandboxEvent.of("qemu_exit", "pid", vm.pid(), "status", p.exitValue(),
                    "normal", abnormal == null, "reason", abnormal == null ? "exited normally" : abnormal));
            stop.qemuExited();
        });
        parts.own(config.qmpSocket()); // QEMU makes it; it goes with the sandbox whether or not QMP connects
        try {
            // the event loop is asked for only now: QEMU starts up while the spare thread may still be making it
            vm.connect(vertx.get(), config, stop.future());
        } catch (SupervisorException e) {
            stop.checkpoint("placing vCPUs"); // a stop asked for while connecting is not a failure
            throw e;
        }
        vm.onQmpLost(stop::fail);
        vm.onGuestPanic(info -> feed.publish(SandboxEvent.of("guest_panicked", "info", info)));
        stop.checkpoint("placing vCPUs");
    }
}
