package dev.vmsup.supervisor.sandbox;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.vmsup.cgroupfs.CgroupException;
import dev.vmsup.cgroupfs.CgroupStats;
import dev.vmsup.cgroupfs.DeleteReport;
import dev.vmsup.cgroupfs.Errno;
import dev.vmsup.cgroupfs.Resources;
import dev.vmsup.qmp.CpuInfo;
import dev.vmsup.supervisor.SupervisorEvents;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.KernelThreadInfo;
import dev.vmsup.supervisor.cgroups.ThreadPlacement;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.config.ConfigException;
import dev.vmsup.supervisor.config.ContainerId;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.usage.UsageSampler;
import dev.vmsup.supervisor.resources.MergedResources;
import dev.vmsup.supervisor.resources.ResourceMerger;
import dev.vmsup.supervisor.vm.QemuVm;
import dev.vmsup.supervisor.vm.VmNotAnsweringException;

/**
 * One running sandbox (made by {@link SandboxStartup}): its containers, vCPUs and state, and the operations on
 * them: resize, container changes, pause and resume, stop. Changes run one at a time under one lock, which
 * guards the containers, the vCPUs and the limits in force; each change ends by publishing a new
 * {@link SandboxSnapshot}, which readers take without waiting.
 */
public final class Sandbox implements AutoCloseable {
    private final SupervisorConfig config;
    private final SandboxParts parts;
    private final QemuVm vm;
    private final ThreadPlacement placement;
    private final CpuHotplug hotplug;
    private final EventFeed feed;
    private final StopRequest stopRequest;
    private final ReentrantLock operations = new ReentrantLock();
    private final Resync resync;
    private final Map<String, ContainerResources> containers = new LinkedHashMap<>();
    private List<VcpuInfo> vcpus = List.of();
    private List<KernelThreadInfo> kernelThreads = List.of();
    private Resources inForce = Resources.NONE;
    private volatile SandboxState state = SandboxState.CREATED;
    private volatile SandboxSnapshot snapshot;
    private volatile SupervisorEvents events = SupervisorEvents.NONE;
    private final Object publishing = new Object();
    private boolean tornDown;

    Sandbox(SupervisorConfig config, SandboxParts parts, StopRequest stopRequest,
            Map<String, ContainerResources> containers, EventFeed feed) {
        this.config = config;
        this.parts = parts;
        this.vm = parts.vm;
        this.placement = new ThreadPlacement(parts.cgroups);
        // after a plug, the CPUs as the plugs left them (asked from QEMU only when uncertain)
        this.hotplug = new CpuHotplug(vm, placement, () -> events, () -> placeThreads(vm.cpusAfterPlug()));
        this.feed = feed;
        this.stopRequest = stopRequest;
        this.containers.putAll(containers);
        this.resync = new Resync(operations, deadline -> {
            placeThreads(vm.queryCpus(deadline));
            applyResources(ResourceMerger.merge(this.containers.values()));
        }, this::publish);
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

    /** The sandbox's events, for subscribers such as {@code GET /v1/events}. */
    public EventFeed feed() {
        return feed;
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
        long start = System.nanoTime();
        RuntimeException failure = null;
        try {
            return change(() -> resizeLocked(count));
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            events.resized(Duration.ofNanos(System.nanoTime() - start), failure == null);
            feed.resized(count, snapshot.vcpus().size(), failure);
        }
    }

    /** Adds or replaces one container, then applies the merged limits (auto_vcpus: resizes); a refusal rolls back. */
    public List<VcpuInfo> putContainer(String id, ContainerResources resources) {
        new ContainerId(id);
        return change(() -> changeContainers(id, containers.containsKey(id) ? "replaced" : "added",
                c -> c.put(id, resources)));
    }

    /** Removes one container; false if there was none with that id. */
    public boolean removeContainer(String id) {
        return change(() -> containers.containsKey(id) && changeContainers(id, "removed", c -> c.remove(id)) != null);
    }

    /** Pauses the vCPUs (QMP {@code stop}). */
    public void pause() {
        change(() -> {
            vm.pause();
            setState(SandboxState.PAUSED);
            return null;
        });
    }

    /** Resumes the vCPUs (QMP {@code cont}). */
    public void resume() {
        change(() -> {
            vm.resume();
            setState(SandboxState.RUNNING);
            return null;
        });
    }

    /** The sampler of this sandbox's processes (CPU, memory), the overhead advisor's source. */
    public UsageSampler usage() {
        return parts.usage;
    }

    /** Usage of the sandbox's cgroups: "sandbox", "vcpu" and, when it exists, "overhead". */
    public Map<String, CgroupStats> stats() {
        return parts.cgroups.stats();
    }

    /** Asks the sandbox to stop (SIGTERM/SIGINT, the API): power-down, then quit, then SIGKILL. */
    public void requestStop(String reason) {
        stopRequest.request(reason);
    }

    /** True once QEMU has exited or a stop was requested. */
    public boolean stopping() {
        return stopRequest.isRequested();
    }

    /** Blocks until QEMU exits or a stop is requested, then stops QEMU (if it still runs); says how it ended. */
    public Termination awaitStop() {
        Termination end = stopRequest.awaitAndStop(vm, config.id(), () -> setState(SandboxState.STOPPING));
        parts.qemuExitReported.completeOnTimeout(null, 5, java.util.concurrent.TimeUnit.SECONDS).join(); // event sent
        return end;
    }

    /** Stops QEMU if it runs, closes QMP, removes the cgroups and files this sandbox created. Idempotent. */
    public synchronized List<DeleteReport.Failure> teardown() {
        if (tornDown) {
            return List.of();
        }
        tornDown = true;
        resync.cancel();
        setState(SandboxState.STOPPING);
        List<DeleteReport.Failure> failures = parts.remove();
        setState(SandboxState.STOPPED);
        return failures;
    }

    @Override
    public void close() {
        teardown();
    }

    /**
     * One change at a time, on a sandbox that lives and whose view of QEMU is current: after QEMU missed a deadline
     * the view is read again first (QEMU may have acted late), and a missed deadline in {@code op} triggers that.
     */
    private <T> T change(Supplier<T> op) {
        operations.lock();
        try {
            requireLive();
            if (resync.needed()) {
                resync.now(vm.commandDeadline());
            }
            return op.get();
        } catch (RuntimeException e) {
            if (VmNotAnsweringException.in(e)) {
                resync.after(e);
            }
            if (CgroupException.causedBy(e, Errno.ENOENT)) {
                stopRequest.fail("a cgroup of the sandbox was removed from under vmsup: " + e.getMessage());
            }
            throw e;
        } finally {
            publish();
            operations.unlock();
        }
    }

    /** Edits the containers, then applies what they now merge to; on failure both are put back as they were. */
    private List<VcpuInfo> changeContainers(String id, String action, Consumer<Map<String, ContainerResources>> edit) {
        Map<String, ContainerResources> before = new LinkedHashMap<>(containers);
        edit.accept(containers);
        try {
            MergedResources merged = ResourceMerger.merge(containers.values());
            int grow = merged.autoGrowth(config, vcpus.size());
            if (grow > 0) {
                resizeLocked(grow); // it writes the merged limits last
            } else {
                applyResources(merged);
            }
            feed.container(id, action, inForce, null);
            return vcpus;
        } catch (RuntimeException e) {
            containers.clear();
            containers.putAll(before);
            try {
                applyResources(ResourceMerger.merge(before.values()));
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            feed.container(id, action, inForce, e);
            throw e instanceof CgroupException || e instanceof ConfigException
                    ? new ChangeRefusedException("the container change", e) : e;
        }
    }

    /** The resize path once without changing the sandbox (a hotplug's reads, placement, limits as they are). */
    public void warmUp() {
        change(() -> {
            hotplug.warmUp(vcpus.stream().map(VcpuInfo::threadId).toList());
            applyResources(ResourceMerger.merge(containers.values()));
            return null;
        });
    }

    /** Every vCPU thread QEMU lists into vcpu; the VM's kernel threads (kvm-pit) with QEMU's other threads. */
    private void placeThreads() {
        placeThreads(vm.queryCpus(vm.commandDeadline()));
    }

    private void placeThreads(List<CpuInfo> cpus) {
        List<VcpuInfo> before = vcpus;
        vcpus = placement.reconcile(cpus);
        feed.vcpus(before, vcpus, layout().vcpu().toString());
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
                failure = hotplug.plug(count - current);
                if (failure != null) {
                    placeThreads();
                }
            } else if (count < current) {
                failure = hotplug.unplug(current - count);
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

    private void requireLive() {
        if (state == SandboxState.STOPPING || state == SandboxState.STOPPED || !vm.isAlive() || stopRequest.isRequested()) {
            throw new WrongStateException("the sandbox is " + (state == SandboxState.STOPPED ? "stopped" : "stopping"));
        }
    }

    private void setState(SandboxState next) {
        synchronized (publishing) {
            if (state != next) {
                feed.state(next);
            }
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
