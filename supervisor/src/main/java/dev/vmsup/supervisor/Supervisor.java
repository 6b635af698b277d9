package dev.vmsup.supervisor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupVersion;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.cgroupfs.Placement;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.qmp.HotpluggableCpu;
import dev.vmsup.qmp.QmpClient;
import dev.vmsup.qmp.QmpCommands;
import dev.vmsup.qmp.QmpOptions;
import dev.vmsup.qmp.QmpStatus;
import dev.vmsup.virtiofsd.CacheMode;
import dev.vmsup.virtiofsd.Virtiofsd;
import dev.vmsup.virtiofsd.VirtiofsdException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

/**
 * One sandbox: creates its cgroups, starts QEMU born in the right one, places every vCPU thread into the vcpu
 * cgroup, applies the merged limits, resizes, and tears everything down. Operations that change the VM are
 * serialized; the QMP I/O runs on one Vert.x event loop and this class waits for it.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    private static final Duration QMP_WAIT = Duration.ofSeconds(10);
    private static final Duration UNPLUG_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration POWERDOWN_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(5);

    private final SupervisorConfig config;
    private final VmLauncher launcher;
    private final SandboxCgroups cgroups;
    private final Vertx vertx;
    private final ReentrantLock operations = new ReentrantLock();
    private final Map<String, ContainerResources> containers = new LinkedHashMap<>();
    private final Set<Integer> placed = new HashSet<>();
    private final CompletableFuture<StopReason> stopRequest = new CompletableFuture<>();
    private final Set<Path> ownFiles = new HashSet<>();
    private final List<AutoCloseable> closeFirst = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Process qemu;
    private Virtiofsd virtiofsd;
    private boolean createdStateDir;
    private String accel = "";
    private boolean unplugged;
    /** Empty CPU slots, lowest socket first, as QEMU last reported them; null: ask QEMU. */
    private List<HotpluggableCpu> freeSlots;
    private StateFile stateFile;
    private QmpCommands qmp;
    private List<VcpuInfo> vcpus = List.of();
    private Resources inForce = Resources.NONE;
    private int vanishedThreads;
    private volatile SandboxState state = SandboxState.CREATED;
    private volatile boolean tornDown;
    private volatile SupervisorEvents events = SupervisorEvents.NONE;

    private Supervisor(SupervisorConfig config, SandboxCgroups cgroups, Map<String, ContainerResources> containers,
            VmLauncher launcher) {
        this.config = config;
        this.launcher = launcher;
        this.cgroups = cgroups;
        this.containers.putAll(containers);
        this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false).setEventLoopPoolSize(1)
                .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    }

    /** Picks the hierarchy the config asks for on this host. */
    static Hierarchy hierarchy(SupervisorConfig config, CgroupHost host) {
        return switch (config.cgroupHierarchy()) {
            case V1 -> host.v1(config.v1Controllers());
            case V2 -> host.v2();
            case AUTO -> host.mode() == CgroupHost.Mode.V2 ? host.v2() : host.v1(config.v1Controllers());
        };
    }

    /**
     * Starts the sandbox: cgroups, self-placement, QEMU, QMP, vCPU placement, limits, then {@code cont} unless
     * paused. On any failure everything made so far is removed and the exception says which step failed.
     */
    public static Supervisor start(SupervisorConfig config, Map<String, ContainerResources> containers, CgroupHost host) {
        return start(config, containers, host, VmLauncher.PROCESS);
    }

    /** As {@link #start(SupervisorConfig, Map, CgroupHost)}, with the way the VM process is started replaced. */
    public static Supervisor start(SupervisorConfig config, Map<String, ContainerResources> containers, CgroupHost host,
            VmLauncher launcher) {
        Hierarchy hierarchy = hierarchy(config, host);
        CgroupLayout layout = CgroupLayout.of(config, hierarchy.version());
        MergedResources merged = ResourceMerger.merge(containers.values());
        String accel = AccelProbe.resolve(config.accel());
        if (StateFile.read(config.stateDir()) != null) {
            Cleanup.Result r = Cleanup.run(config.stateDir(), host, false);
            if (!r.clean()) {
                throw new SupervisorException(String.join("; ", r.failures()));
            }
            LOG.warn("sandbox {}: cleaned up after a supervisor that died: {}", config.id(), String.join("; ", r.actions()));
        }
        if (Files.exists(config.qmpSocket())) {
            throw new SupervisorException("QMP socket " + config.qmpSocket() + " already exists: another vmsup may run "
                    + "with this state dir");
        }
        if (config.apiSocket() != null && Files.exists(config.apiSocket())) {
            throw new SupervisorException("API socket " + config.apiSocket() + " already exists: another vmsup may run "
                    + "with this state dir");
        }
        SandboxCgroups.check(hierarchy, layout);
        int self = (int) ProcessHandle.current().pid();
        boolean createdStateDir = makeStateDir(config.stateDir());
        SandboxCgroups cgroups;
        try {
            cgroups = SandboxCgroups.create(hierarchy, layout, self);
        } catch (RuntimeException e) {
            if (createdStateDir) {
                deleteQuietly(config.stateDir());
            }
            throw e;
        }
        List<String> created = new ArrayList<>(List.of(layout.sandbox().toString()));
        if (layout.overhead() != null) {
            created.add(layout.overhead().toString());
        }
        List<String> files = new ArrayList<>(List.of(config.qmpSocket().toString(), config.virtiofsSocket().toString()));
        if (config.apiSocket() != null) {
            files.add(config.apiSocket().toString());
        }
        StateFile state = new StateFile(config.id().value(), ProcessIdentity.of(self), null, null,
                hierarchy.version().name().toLowerCase(), List.copyOf(config.v1Controllers()), created, files,
                createdStateDir);
        Supervisor s = new Supervisor(config, cgroups, containers, launcher);
        s.createdStateDir = createdStateDir;
        s.stateFile = state;
        try {
            state.write(config.stateDir());
            s.launch(accel, merged);
            return s;
        } catch (RuntimeException e) {
            s.teardown();
            throw e;
        }
    }

    private void launch(String accel, MergedResources merged) {
        this.accel = accel;
        CgroupLayout layout = cgroups.layout();
        if (cgroups.hierarchy().version() == CgroupVersion.V2 && !layout.qemu().equals(layout.supervisor())) {
            LOG.info("cgroup v2: QEMU's process lives in {} (a thread can only move within its process's threaded "
                    + "domain); the rest of the overhead stays in {}", layout.qemu(), layout.supervisor());
        }
        if (config.share() != null) {
            startVirtiofsd();
        }
        cgroups.moveSelf(layout.qemu());
        qemu = spawnQemu(accel);
        recordState(stateFile.withQemu(ProcessIdentity.of(qemu.pid())));
        if (!layout.qemu().equals(layout.supervisor())) {
            cgroups.moveSelf(layout.supervisor());
        }
        cgroups.verify("QEMU", (int) qemu.pid(), layout.qemu());
        cgroups.verify("vmsup", (int) ProcessHandle.current().pid(), layout.supervisor());
        qemu.onExit().thenAccept(p -> stopRequest.complete(new StopReason("QEMU exited", false)));

        QmpClient client;
        try {
            client = awaitQmp(QmpClient.connectWithRetry(vertx, config.qmpSocket(),
                    QmpOptions.DEFAULTS.withConnectDeadline(QMP_WAIT)), "connect QMP", Duration.ofSeconds(30));
        } catch (SupervisorException e) {
            if (!qemu.isAlive()) {
                throw new SupervisorException("QEMU exited with status " + qemu.exitValue()
                        + " before its QMP socket was ready (its messages are on stderr)");
            }
            throw e;
        }
        ownFiles.add(config.qmpSocket());
        qmp = new QmpCommands(client);
        // QEMU closes QMP as it exits: wait a moment so that its exit, not the lost socket, is the reason
        client.closeFuture().onComplete(v -> qemu.onExit().completeOnTimeout(null, 1, TimeUnit.SECONDS)
                .thenAccept(exited -> stopRequest.complete(exited != null ? new StopReason("QEMU exited", false)
                        : new StopReason("QMP connection lost: " + client.closeCause().getMessage(), true))));
        operations.lock();
        try {
            placeVcpus();
            applyResources(merged);
            if (config.autoVcpus()) {
                int want = merged.autoVcpus(config.vcpus(), config.maxVcpus());
                if (want > vcpus.size()) {
                    resizeLocked(want);
                }
            }
        } finally {
            operations.unlock();
        }
        if (config.paused()) {
            state = SandboxState.PAUSED;
        } else {
            awaitQmp(qmp.cont(), "cont", QMP_WAIT);
            state = SandboxState.RUNNING;
        }
    }

    /** virtiofsd is born where the supervisor lives (overhead, or sandbox with sandbox_cgroup_only). */
    private void startVirtiofsd() {
        CgroupLayout layout = cgroups.layout();
        cgroups.moveSelf(layout.supervisor());
        try {
            virtiofsd = Virtiofsd.start(config.virtiofsDaemon(), config.share().dir(), config.virtiofsSocket(),
                    CacheMode.AUTO, why -> stopRequest.complete(new StopReason(why
                            + ": the guest has lost its shared filesystem", true)), VmLauncher::tiedToSupervisor);
        } catch (VirtiofsdException e) {
            throw new SupervisorException("starting virtiofsd failed", e);
        }
        recordState(stateFile.withVirtiofsd(ProcessIdentity.of(virtiofsd.pid())));
        cgroups.verify("virtiofsd", (int) virtiofsd.pid(), layout.supervisor());
    }

    /** Creates the state dir (mode 0700) unless it exists; true if this call made it. */
    private static boolean makeStateDir(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                return false;
            }
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return true;
        } catch (IOException e) {
            throw new SupervisorException("cannot create state dir " + dir, e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.info("{} kept: {}", p, e.getClass().getSimpleName());
        }
    }

    private void recordState(StateFile next) {
        stateFile = next;
        stateFile.write(config.stateDir());
    }

    private Process spawnQemu(String accel) {
        List<String> argv = QemuCommandLine.build(config, accel);
        LOG.info("starting {}", String.join(" ", argv));
        try {
            return launcher.start(argv, config);
        } catch (IOException e) {
            throw new SupervisorException("cannot start " + argv.get(0), e);
        }
    }

    private <T> T awaitQmp(Future<T> future, String step, Duration timeout) {
        long start = System.nanoTime();
        try {
            // works on any thread but the event loop (whose I/O this waits for); Vert.x's await() refuses worker threads
            T result = future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            events.qmpRoundTrip(step, Duration.ofNanos(System.nanoTime() - start));
            return result;
        } catch (TimeoutException e) {
            throw new SupervisorException(step + " did not finish within " + timeout.toSeconds() + " s");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new SupervisorException(step + " failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SupervisorException(step + " interrupted");
        } catch (RuntimeException e) {
            throw new SupervisorException(step + " failed", e);
        }
    }

    /** Moves every vCPU thread QEMU reports that is not yet placed; a thread gone meanwhile (ESRCH) is reported. */
    private void placeVcpus() {
        List<CpuInfo> cpus = awaitQmp(qmp.queryCpusFast(), "query-cpus-fast", QMP_WAIT);
        List<VcpuInfo> now = new ArrayList<>();
        Set<Integer> alive = new HashSet<>();
        for (CpuInfo cpu : cpus) {
            int tid = cpu.threadId();
            alive.add(tid);
            boolean ok = placed.contains(tid);
            if (!ok) {
                if (cgroups.placeVcpuThread(tid) == Placement.GONE) {
                    vanishedThreads++;
                    events.placementFailed();
                    LOG.warn("vCPU {} thread {} exited before it could be placed (ESRCH)", cpu.cpuIndex(), tid);
                } else {
                    placed.add(tid);
                    ok = true;
                }
            }
            now.add(new VcpuInfo(cpu.cpuIndex(), cpu.qomPath(), tid, ok));
        }
        placed.retainAll(alive);
        now.sort(Comparator.comparingInt(VcpuInfo::index));
        vcpus = List.copyOf(now);
    }

    private void applyResources(MergedResources merged) {
        inForce = cgroups.apply(merged, config.sandboxCgroupOnly(), config.memoryOverheadMib() * 1024L * 1024L);
    }

    /**
     * Resizes to {@code count} vCPUs: hotplug (then place each new thread) or unplug the highest hotplugged CPUs,
     * then rewrite the merged limits. Returns the vCPUs after the change, every one placed.
     */
    public List<VcpuInfo> resize(int count) {
        operations.lock();
        long start = System.nanoTime();
        boolean ok = false;
        try {
            List<VcpuInfo> result = resizeLocked(count);
            ok = true;
            return result;
        } finally {
            events.resized(Duration.ofNanos(System.nanoTime() - start), ok);
            operations.unlock();
        }
    }

    /**
     * Adds or replaces one container's resources, then recomputes and applies the merged limits (and with
     * auto_vcpus resizes to the vCPUs they call for). Returns the vCPUs afterwards.
     */
    public List<VcpuInfo> putContainer(String id, ContainerResources resources) {
        new ContainerId(id);
        operations.lock();
        try {
            requireLive();
            containers.put(id, resources);
            return containersChanged();
        } finally {
            operations.unlock();
        }
    }

    /** Removes one container; false if there was none with that id. */
    public boolean removeContainer(String id) {
        operations.lock();
        try {
            requireLive();
            if (containers.remove(id) == null) {
                return false;
            }
            containersChanged();
            return true;
        } finally {
            operations.unlock();
        }
    }

    private List<VcpuInfo> containersChanged() {
        MergedResources merged = ResourceMerger.merge(containers.values());
        if (config.autoVcpus()) {
            int want = merged.autoVcpus(config.vcpus(), config.maxVcpus());
            if (want > vcpus.size()) {
                return resizeLocked(want);
            }
        }
        applyResources(merged);
        return vcpus;
    }

    /** The containers' resources, by container id. */
    public Map<String, ContainerResources> containers() {
        operations.lock();
        try {
            return Map.copyOf(containers);
        } finally {
            operations.unlock();
        }
    }

    /** Pauses the vCPUs (QMP {@code stop}). */
    public void pause() {
        operations.lock();
        try {
            requireLive();
            awaitQmp(qmp.stop(), "stop", QMP_WAIT);
            state = SandboxState.PAUSED;
        } finally {
            operations.unlock();
        }
    }

    /** Resumes the vCPUs (QMP {@code cont}). */
    public void resume() {
        operations.lock();
        try {
            requireLive();
            awaitQmp(qmp.cont(), "cont", QMP_WAIT);
            state = SandboxState.RUNNING;
        } finally {
            operations.unlock();
        }
    }

    /** Usage of the sandbox's cgroups: "sandbox", "vcpu" and, when it exists, "overhead". */
    public Map<String, dev.vmsup.cgroupfs.CgroupStats> stats() {
        return cgroups.stats();
    }

    /** Closes {@code c} at the start of teardown (e.g. the API server, before the event loop stops). */
    public void closeOnTeardown(AutoCloseable c) {
        closeFirst.add(c);
    }

    /** Where metrics go; set before the sandbox is used from the API. */
    public void events(SupervisorEvents value) {
        this.events = value;
    }

    /** The Vert.x instance the supervisor's I/O runs on (one event loop). */
    public Vertx vertx() {
        return vertx;
    }

    private List<VcpuInfo> resizeLocked(int count) {
        if (count < 1 || count > config.maxVcpus()) {
            throw new ConfigException("count", "vCPU count must be 1.." + config.maxVcpus() + ", got " + count);
        }
        requireLive();
        int current = vcpus.size();
        ResizeException failure = null;
        try {
            if (count > current) {
                // each new vCPU is placed right after its device_add (see plug)
                failure = plug(count - current);
                if (failure != null) {
                    placeVcpus();
                }
            } else if (count < current) {
                failure = unplug(vcpus, current - count);
                placeVcpus();
            }
            applyResources(ResourceMerger.merge(containers.values()));
        } catch (RuntimeException e) {
            ResizeException placing = new ResizeException("placing vCPU threads and applying limits", e);
            if (failure != null) {
                placing.addSuppressed(failure);
            }
            throw placing;
        }
        if (failure != null) {
            throw failure;
        }
        return vcpus;
    }

    /**
     * QEMU 7.2 under TCG dies (SIGSEGV or heap corruption) on the first CPU hotplug after any CPU unplug, whatever
     * the slot: seen on these machines. vmsup refuses that hotplug instead of losing the sandbox.
     */
    private boolean replugWouldCrashQemu() {
        return unplugged && accel.startsWith("tcg") && qmp.client().greeting().version().qemu().major() < 8;
    }

    private ResizeException plug(int howMany) {
        if (replugWouldCrashQemu()) {
            return new ResizeException("device_add", "QEMU " + qmp.client().greeting().version()
                    + " under TCG crashes on a CPU hotplug after a CPU unplug; restart the sandbox to grow it again");
        }
        if (freeSlots == null) {
            try {
                freeSlots = new ArrayList<>(awaitQmp(qmp.queryHotpluggableCpus(), "query-hotpluggable-cpus", QMP_WAIT).stream()
                        .filter(s -> !s.plugged())
                        .sorted(Comparator.comparing(s -> s.props().getOrDefault("socket-id", 0L))).toList());
            } catch (SupervisorException e) {
                return new ResizeException("query-hotpluggable-cpus", e);
            }
        }
        for (int i = 0; i < howMany; i++) {
            if (freeSlots.isEmpty()) {
                return new ResizeException("device_add", "no free CPU slot left");
            }
            HotpluggableCpu slot = freeSlots.get(0);
            String id = "cpu-" + slot.props().getOrDefault("socket-id", (long) i);
            Set<Integer> before = VcpuThreads.tids(qemu.pid());
            try {
                awaitQmp(qmp.deviceAddCpu(slot, id), "device_add " + id, QMP_WAIT);
            } catch (SupervisorException e) {
                freeSlots = null; // QEMU's view is the truth again
                return new ResizeException("device_add of " + id, e.getCause() != null ? e.getCause() : e);
            }
            freeSlots.remove(0);
            // The new vCPU thread exists when device_add returns, born in QEMU's cgroup and unconstrained until
            // moved: find it in /proc (QEMU names it "CPU n/...") and move it before anything else, then confirm
            // the whole picture with query-cpus-fast.
            long added = System.nanoTime();
            for (int tid : VcpuThreads.newVcpuThreads(qemu.pid(), before)) {
                if (cgroups.placeVcpuThread(tid) == Placement.MOVED) {
                    placed.add(tid);
                }
            }
            events.vcpuPlaced(Duration.ofNanos(System.nanoTime() - added));
            placeVcpus();
        }
        return null;
    }

    private ResizeException unplug(List<VcpuInfo> cpus, int howMany) {
        freeSlots = null; // the released slots come back; read them from QEMU next time
        List<VcpuInfo> removable = cpus.stream().filter(c -> c.qomPath().startsWith("/machine/peripheral/"))
                .sorted(Comparator.comparingInt(VcpuInfo::index).reversed()).limit(howMany).toList();
        if (removable.size() < howMany) {
            return new ResizeException("device_del", "only hotplugged CPUs can be removed; " + removable.size()
                    + " of the " + howMany + " asked for are hotplugged");
        }
        List<String> ids = removable.stream().map(c -> c.qomPath().substring("/machine/peripheral/".length())).toList();
        for (String id : ids) {
            try {
                awaitQmp(qmp.deviceDel(id), "device_del " + id, QMP_WAIT);
            } catch (SupervisorException e) {
                return new ResizeException("device_del of " + id, e.getCause() != null ? e.getCause() : e);
            }
        }
        Set<String> paths = new HashSet<>();
        removable.forEach(c -> paths.add(c.qomPath()));
        unplugged = true;
        long deadline = System.nanoTime() + UNPLUG_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            // events are only a wake-up: QEMU 7.2 does not name the CPU in DEVICE_DELETED
            Future<?> wake = qmp.client().waitForEvent(null, null, Duration.ofMillis(100));
            List<CpuInfo> now = awaitQmp(qmp.queryCpusFast(), "query-cpus-fast", QMP_WAIT);
            if (now.stream().noneMatch(c -> paths.contains(c.qomPath()))) {
                return null;
            }
            try {
                wake.await(Duration.ofMillis(150));
            } catch (TimeoutException | RuntimeException ignored) {
                // poll again
            }
        }
        return new ResizeException("waiting for the guest to release " + ids,
                "not released within " + UNPLUG_TIMEOUT.toSeconds() + " s; the CPUs stay counted");
    }

    private void requireLive() {
        if (state == SandboxState.STOPPING || state == SandboxState.STOPPED || qemu == null || !qemu.isAlive()
                || stopRequest.isDone()) {
            throw new WrongStateException("the sandbox is " + (state == SandboxState.STOPPED ? "stopped" : "stopping"));
        }
    }

    /** Why the sandbox is ending: a stop asked for, QEMU's exit, or a failure it cannot go on after. */
    private record StopReason(String why, boolean failure) {
    }

    /** Blocks until QEMU exits or a stop is requested; shuts down and tears down; returns the exit code. */
    public int awaitTermination() {
        StopReason reason = stopRequest.join();
        int code;
        if (qemu.isAlive()) {
            if (reason.failure()) {
                LOG.error("sandbox {} cannot go on: {}", config.id(), reason.why());
            } else {
                LOG.info("stopping sandbox {}: {}", config.id(), reason.why());
            }
            shutdownQemu();
            code = reason.failure() ? ExitCodes.FAILURE : ExitCodes.OK;
        } else {
            code = qemuExitCode();
        }
        teardown();
        return code;
    }

    private int qemuExitCode() {
        int status = qemu.exitValue();
        if (status == 0) {
            LOG.info("QEMU (pid {}) exited normally", qemu.pid());
            return ExitCodes.OK;
        }
        String why = status > 128 ? "killed by signal " + (status - 128) : "exit status " + status;
        LOG.error("QEMU (pid {}) ended unexpectedly: {}", qemu.pid(), why);
        return ExitCodes.FAILURE;
    }

    /** Asks the supervisor to stop (SIGTERM/SIGINT): power-down, then quit, then SIGKILL. */
    public void requestStop(String reason) {
        stopRequest.complete(new StopReason(reason, false));
    }

    private void shutdownQemu() {
        state = SandboxState.STOPPING;
        if (qmp == null || !qmp.client().isOpen()) {
            killQemu();
            return;
        }
        try {
            QmpStatus status = qmp.queryStatus().await(Duration.ofSeconds(2));
            if (status.running()) {
                qmp.systemPowerdown().await(Duration.ofSeconds(2));
                if (qemu.waitFor(POWERDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
                LOG.warn("guest did not power off within {} s; quitting QEMU", POWERDOWN_TIMEOUT.toSeconds());
            }
            qmp.quit().await(Duration.ofSeconds(2));
        } catch (Exception e) {
            LOG.warn("QMP shutdown failed ({}); killing QEMU", e.getMessage());
        }
        try {
            if (!qemu.waitFor(QUIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("QEMU (pid {}) still alive; sending SIGKILL", qemu.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        killQemu();
    }

    private void killQemu() {
        if (qemu != null && qemu.isAlive()) {
            qemu.destroyForcibly();
            try {
                qemu.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Stops QEMU if it still runs, closes QMP, returns the supervisor to where it started, removes the cgroups and
     * files this sandbox created. Idempotent.
     */
    public synchronized List<DeleteReport.Failure> teardown() {
        if (tornDown) {
            return List.of();
        }
        tornDown = true;
        state = SandboxState.STOPPING;
        for (AutoCloseable c : closeFirst) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c, e.getMessage());
            }
        }
        killQemu();
        if (virtiofsd != null) {
            virtiofsd.close();
        }
        if (qmp != null) {
            qmp.client().close();
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("closing the event loop: {}", e.toString());
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
        if (failures.isEmpty()) {
            // the state file stays while something is left, so that vmsup cleanup can finish the job
            StateFile.delete(config.stateDir());
            if (createdStateDir) {
                deleteQuietly(config.stateDir()); // only if empty: a serial log the user asked for there stays
            }
        }
        state = SandboxState.STOPPED;
        return failures;
    }

    @Override
    public void close() {
        teardown();
    }

    public SupervisorConfig config() {
        return config;
    }

    public CgroupLayout layout() {
        return cgroups.layout();
    }

    public CgroupVersion cgroupVersion() {
        return cgroups.hierarchy().version();
    }

    public SandboxState state() {
        return state;
    }

    public long qemuPid() {
        return qemu.pid();
    }

    /** virtiofsd's pid, or -1 without a shared directory. */
    public long virtiofsdPid() {
        return virtiofsd == null ? -1 : virtiofsd.pid();
    }

    /** The vCPUs after the last placement. */
    public List<VcpuInfo> vcpus() {
        return vcpus;
    }

    /** The limits last written. */
    public Resources resourcesInForce() {
        return inForce;
    }

    /** vCPU threads that exited between QEMU reporting them and their move (ESRCH), since start. */
    public int vanishedThreads() {
        return vanishedThreads;
    }

    /** True once QEMU has exited or a stop was requested. */
    public boolean stopping() {
        return stopRequest.isDone();
    }
}
