package dev.vmsup.supervisor.sandbox;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.vmsup.cgroupfs.CgroupStats;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.KernelThreadInfo;
import dev.vmsup.supervisor.cgroups.ThreadPlacement;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.ContainerId;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.resources.MergedResources;
import dev.vmsup.supervisor.resources.ResourceMerger;
import dev.vmsup.supervisor.vm.CpuHotplugException;
import dev.vmsup.supervisor.vm.QemuVm;

/**
 * One running sandbox (made by {@link SandboxStartup}): its containers, vCPUs and state, and the operations on
 * them: resize, container changes, pause and resume, stop. Changes run one at a time under one lock, which
 * guards the containers, the vCPUs and the limits in force; each change ends by publishing a new
 * {@link SandboxSnapshot}, which readers take without waiting.
 */
public final class Sandbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sandbox.class);

    private final SupervisorConfig config;
    private final SandboxParts parts;
    private final QemuVm vm;
    private final ThreadPlacement placement;
    private final CompletableFuture<StopReason> stopRequest;
    private final ReentrantLock operations = new ReentrantLock();
    private final Map<String, ContainerResources> containers = new LinkedHashMap<>();
    private List<VcpuInfo> vcpus = List.of();
    private List<KernelThreadInfo> kernelThreads = List.of();
    private Resources inForce = Resources.NONE;
    private volatile SandboxState state = SandboxState.CREATED;
    private volatile SandboxSnapshot snapshot;
    private volatile SupervisorEvents events = SupervisorEvents.NONE;
    private final Object publishing = new Object();
    private boolean tornDown;

    Sandbox(SupervisorConfig config, SandboxParts parts, CompletableFuture<StopReason> stopRequest,
            Map<String, ContainerResources> containers) {
        this.config = config;
        this.parts = parts;
        this.vm = parts.vm;
        this.placement = new ThreadPlacement(parts.cgroups);
        this.stopRequest = stopRequest;
        this.containers.putAll(containers);
        publish();
    }

    /** First placement and limits (growing to what auto_vcpus asks), then {@code cont} unless paused. */
    void begin(MergedResources merged) {
        operations.lock();
        try {
            placeThreads();
            applyResources(merged);
            int grow = merged.autoGrowth(config, vcpus.size());
            if (grow > 0) {
                resizeLocked(grow);
            }
        } finally {
            publish();
            operations.unlock();
        }
        if (!config.paused()) {
            vm.resume();
        }
        setState(config.paused() ? SandboxState.PAUSED : SandboxState.RUNNING);
    }

    /** Where metrics go; set before the sandbox is used from the API. */
    public void events(SupervisorEvents value) {
        events = value;
        vm.events(value);
        placement.events(value);
    }

    /** The sandbox after its last change. */
    public SandboxSnapshot snapshot() {
        return snapshot;
    }

    public SupervisorConfig config() {
        return config;
    }

    /** Where everything of this sandbox lives. */
    public CgroupLayout layout() {
        return parts.cgroups.layout();
    }

    /**
     * Resizes to {@code count} vCPUs: hotplug (placing each new thread) or unplug the highest hotplugged CPUs,
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
            publish();
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
            publish();
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
            publish();
            operations.unlock();
        }
    }

    /** Pauses the vCPUs (QMP {@code stop}). */
    public void pause() {
        operations.lock();
        try {
            requireLive();
            vm.pause();
            setState(SandboxState.PAUSED);
        } finally {
            operations.unlock();
        }
    }

    /** Resumes the vCPUs (QMP {@code cont}). */
    public void resume() {
        operations.lock();
        try {
            requireLive();
            vm.resume();
            setState(SandboxState.RUNNING);
        } finally {
            operations.unlock();
        }
    }

    /** Usage of the sandbox's cgroups: "sandbox", "vcpu" and, when it exists, "overhead". */
    public Map<String, CgroupStats> stats() {
        return parts.cgroups.stats();
    }

    /** Asks the sandbox to stop (SIGTERM/SIGINT, the API): power-down, then quit, then SIGKILL. */
    public void requestStop(String reason) {
        stopRequest.complete(new StopReason(reason, false));
    }

    /** True once QEMU has exited or a stop was requested. */
    public boolean stopping() {
        return stopRequest.isDone();
    }

    /** Blocks until QEMU exits or a stop is requested, then stops QEMU (if it still runs); says how it ended. */
    public Termination awaitStop() {
        StopReason reason = stopRequest.join();
        if (!vm.isAlive()) {
            String abnormal = vm.abnormalExit();
            if (abnormal != null) {
                LOG.error("QEMU (pid {}) ended unexpectedly: {}", vm.pid(), abnormal);
                return new Termination(true, "QEMU ended unexpectedly: " + abnormal);
            }
            LOG.info("QEMU (pid {}) exited normally", vm.pid());
            return new Termination(false, "QEMU exited normally");
        }
        if (reason.failure()) {
            LOG.error("sandbox {} cannot go on: {}", config.id(), reason.why());
        } else {
            LOG.info("stopping sandbox {}: {}", config.id(), reason.why());
        }
        setState(SandboxState.STOPPING);
        vm.shutdown();
        return new Termination(reason.failure(), reason.why());
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
        setState(SandboxState.STOPPING);
        List<DeleteReport.Failure> failures = parts.remove();
        setState(SandboxState.STOPPED);
        return failures;
    }

    @Override
    public void close() {
        teardown();
    }

    private List<VcpuInfo> containersChanged() {
        MergedResources merged = ResourceMerger.merge(containers.values());
        int grow = merged.autoGrowth(config, vcpus.size());
        if (grow > 0) {
            return resizeLocked(grow);
        }
        applyResources(merged);
        return vcpus;
    }

    /** Every vCPU thread QEMU lists into vcpu; the VM's kernel threads (kvm-pit) with QEMU's other threads. */
    private void placeThreads() {
        vcpus = placement.reconcile(vm.queryCpus());
        kernelThreads = placement.reconcileKernelThreads(vm.kernelThreads());
    }

    private void applyResources(MergedResources merged) {
        inForce = parts.cgroups.apply(merged, config.sandboxCgroupOnly(), config.memoryOverheadMib() * 1024L * 1024L);
    }

    private List<VcpuInfo> resizeLocked(int count) {
        if (count < 1 || count > config.maxVcpus()) {
            throw new ConfigException("count", "count must be 1.." + config.maxVcpus() + ", got " + count);
        }
        requireLive();
        int current = vcpus.size();
        ResizeException failure = null;
        try {
            if (count > current) {
                failure = plug(count - current);
                if (failure != null) {
                    placeThreads();
                }
            } else if (count < current) {
                failure = unplug(current - count);
                placeThreads();
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
     * Plugs CPUs one at a time. Each new vCPU thread exists when device_add returns, born in QEMU's cgroup and
     * unconstrained until moved: it is moved before anything else, then QEMU's whole list confirms the picture.
     */
    private ResizeException plug(int howMany) {
        for (int i = 0; i < howMany; i++) {
            List<Integer> fresh;
            try {
                fresh = vm.plugCpu();
            } catch (CpuHotplugException e) {
                return ResizeException.of(e);
            }
            long added = System.nanoTime();
            placement.placeNew(fresh);
            events.vcpuPlaced(Duration.ofNanos(System.nanoTime() - added));
            placeThreads();
        }
        return null;
    }

    private ResizeException unplug(int howMany) {
        try {
            vm.unplugCpus(howMany);
            return null;
        } catch (CpuHotplugException e) {
            return ResizeException.of(e);
        }
    }

    private void requireLive() {
        if (state == SandboxState.STOPPING || state == SandboxState.STOPPED || !vm.isAlive() || stopRequest.isDone()) {
            throw new WrongStateException("the sandbox is " + (state == SandboxState.STOPPED ? "stopped" : "stopping"));
        }
    }

    private void setState(SandboxState next) {
        synchronized (publishing) {
            state = next;
            snapshot = snapshot.withState(next);
        }
    }

    /** Publishes the sandbox as it stands; called while holding the operations lock (or before any operation). */
    private void publish() {
        synchronized (publishing) {
            snapshot = new SandboxSnapshot(config.id(), state, vm.pid(),
                    parts.virtiofsd == null ? -1 : parts.virtiofsd.pid(), config.sandboxCgroupOnly(),
                    parts.cgroups.hierarchy().version(), parts.cgroups.layout(), vcpus, config.maxVcpus(),
                    placement.vanished(), kernelThreads, inForce, containers);
        }
    }
}
