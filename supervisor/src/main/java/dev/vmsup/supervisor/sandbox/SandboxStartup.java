package dev.vmsup.supervisor.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.cgroupfs.Hierarchy;
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
import dev.vmsup.supervisor.vm.AccelProbe;
import dev.vmsup.supervisor.vm.QemuVm;
import dev.vmsup.supervisor.vm.VmLauncher;
import dev.vmsup.virtiofsd.CacheMode;
import dev.vmsup.virtiofsd.Virtiofsd;
import dev.vmsup.virtiofsd.VirtiofsdException;
import io.vertx.core.Vertx;

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
        return start(config, containers, host, vertx, VmLauncher.PROCESS);
    }

    /** As {@link #start(SupervisorConfig, Map, CgroupHost, Vertx)}, with the way the VM process starts replaced. */
    public static Sandbox start(SupervisorConfig config, Map<String, ContainerResources> containers, CgroupHost host,
            Vertx vertx, VmLauncher launcher) {
        Hierarchy hierarchy = config.cgroupHierarchy().open(host, config.v1Controllers());
        CgroupLayout layout = CgroupLayout.of(config, hierarchy.version());
        MergedResources merged = ResourceMerger.merge(containers.values());
        String accel = AccelProbe.resolve(config.accel(), host.procRoot());
        cleanUpAfterDeadSupervisor(config, host);
        refuseExisting(config.qmpSocket(), "QMP");
        refuseExisting(config.apiSocket(), "API");
        SandboxCgroups.check(hierarchy, layout);

        int self = (int) ProcessHandle.current().pid();
        StateDir stateDir = StateDir.open(config.stateDir());
        SandboxCgroups cgroups;
        try {
            cgroups = SandboxCgroups.create(hierarchy, layout, self);
        } catch (RuntimeException e) {
            stateDir.removeIfCreated();
            throw e;
        }
        SandboxParts parts = new SandboxParts(cgroups, stateDir);
        try {
            stateDir.record(initialState(config, hierarchy, layout, ProcessIdentity.of(host.procRoot(), self),
                    stateDir.created()));
            CompletableFuture<StopReason> stop = new CompletableFuture<>();
            launch(config, parts, accel, launcher, host.procRoot(), vertx, stop);
            Sandbox sandbox = new Sandbox(config, parts, stop, containers);
            sandbox.begin(merged);
            return sandbox;
        } catch (RuntimeException e) {
            parts.remove();
            throw e;
        }
    }

    private static void cleanUpAfterDeadSupervisor(SupervisorConfig config, CgroupHost host) {
        if (StateFile.read(config.stateDir()) == null) {
            return;
        }
        Cleanup.Result r = Cleanup.run(config.stateDir(), host, false);
        if (!r.clean()) {
            throw new SupervisorException(String.join("; ", r.failures()));
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
    private static StateFile initialState(SupervisorConfig config, Hierarchy hierarchy, CgroupLayout layout,
            ProcessIdentity self, boolean stateDirCreated) {
        List<String> created = new ArrayList<>(List.of(layout.sandbox().toString()));
        if (layout.overhead() != null) {
            created.add(layout.overhead().toString());
        }
        List<String> files = new ArrayList<>(List.of(config.qmpSocket().toString(), config.virtiofsSocket().toString()));
        if (config.apiSocket() != null) {
            files.add(config.apiSocket().toString());
        }
        return new StateFile(config.id().value(), self, null, null,
                hierarchy.version().name().toLowerCase(), List.copyOf(config.v1Controllers()), created, files,
                stateDirCreated);
    }

    /**
     * virtiofsd born where the supervisor lives, QEMU born in its own cgroup (the supervisor hops there and back),
     * both checked, then QMP. QEMU's exit, a lost QMP connection or virtiofsd's exit ask the sandbox to stop.
     */
    private static void launch(SupervisorConfig config, SandboxParts parts, String accel, VmLauncher launcher,
            Path procRoot, Vertx vertx, CompletableFuture<StopReason> stop) {
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
                        CacheMode.AUTO, why -> stop.complete(new StopReason(why
                                + ": the guest has lost its shared filesystem", true)), VmLauncher::tiedToSupervisor);
            } catch (VirtiofsdException e) {
                throw new SupervisorException("starting virtiofsd failed", e);
            }
            stateDir.record(stateDir.current().withVirtiofsd(ProcessIdentity.of(procRoot, parts.virtiofsd.pid())));
            cgroups.verify("virtiofsd", (int) parts.virtiofsd.pid(), layout.supervisor());
        }
        cgroups.moveSelf(layout.qemu());
        QemuVm vm = QemuVm.launch(config, accel, launcher, procRoot);
        parts.vm = vm;
        stateDir.record(stateDir.current().withQemu(ProcessIdentity.of(procRoot, vm.pid())));
        if (!layout.qemu().equals(layout.supervisor())) {
            cgroups.moveSelf(layout.supervisor());
        }
        cgroups.verify("QEMU", (int) vm.pid(), layout.qemu());
        cgroups.verify("vmsup", (int) ProcessHandle.current().pid(), layout.supervisor());
        vm.exited().thenAccept(p -> stop.complete(new StopReason("QEMU exited", false)));
        vm.connect(vertx, config);
        parts.own(config.qmpSocket());
        vm.onQmpLost(why -> stop.complete(new StopReason(why, true)));
    }
}
