package dev.vmsup.supervisor.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.vmsup.cgroupfs.CgroupHost;
import dev.vmsup.cgroupfs.CgroupPath;
import dev.vmsup.cgroupfs.Hierarchy;
import dev.vmsup.cgroupfs.Prerequisites;
import dev.vmsup.cgroupfs.TestParent;
import dev.vmsup.cgroupfs.internal.SubtreeRemover;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import dev.vmsup.supervisor.cgroups.CgroupLayout;
import dev.vmsup.supervisor.cgroups.VcpuInfo;
import dev.vmsup.supervisor.config.Accel;
import dev.vmsup.supervisor.config.HierarchyChoice;
import dev.vmsup.supervisor.config.Settings;
import dev.vmsup.supervisor.config.SupervisorConfig;
import dev.vmsup.supervisor.resources.ContainerResources;
import dev.vmsup.supervisor.sandbox.Sandbox;
import dev.vmsup.supervisor.sandbox.SandboxStartup;
import dev.vmsup.supervisor.sandbox.SandboxState;
import dev.vmsup.supervisor.sandbox.StopRequest;
import dev.vmsup.supervisor.vm.VmLauncher;

/**
 * A unique test root cgroup and settings pointing a sandbox under it, sandboxes started there (on an event loop of
 * the fixture's own, all torn down at close), plus independent checks of where QEMU's threads are, read straight
 * from {@code /proc}. Tests get one per test from {@link SandboxExtension}.
 */
public final class SandboxFixture implements AutoCloseable {
    public static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");
    /** Every v1 controller vmsup uses by default: for tests that run vmsup as its own process. */
    public static final Set<String> ALL_V1 = Set.of("cpu", "cpuacct", "cpuset", "memory", "pids");
    /** The in-process tests move the test JVM; they leave its memory cgroup alone. */
    public static final Set<String> IN_PROCESS_V1 = Set.of("cpu", "cpuacct", "cpuset", "pids");
    private static final Pattern VCPU_COMM = Pattern.compile("CPU \\d+/(TCG|KVM)");

    public final CgroupHost host;
    public final Hierarchy hierarchy;
    public final TestParent root;
    public final Path tmp;
    private final HierarchyChoice choice;
    /** Where the test JVM was before any sandbox moved it. */
    public final Map<String, CgroupPath> jvmOrigin;
    private final List<Sandbox> started = new ArrayList<>();
    private Vertx vertx;

    private SandboxFixture(CgroupHost host, Hierarchy hierarchy, HierarchyChoice choice, Path tmp) {
        this.host = host;
        this.hierarchy = hierarchy;
        this.choice = choice;
        this.tmp = tmp;
        int self = (int) ProcessHandle.current().pid();
        this.jvmOrigin = hierarchy.placementOf(self, self);
        this.root = TestParent.create(hierarchy);
    }

    public static SandboxFixture v1(Path tmp, Set<String> controllers) {
        CgroupHost host = Prerequisites.requireCgroupV1(controllers.toArray(String[]::new));
        return new SandboxFixture(host, host.v1(controllers), HierarchyChoice.V1, tmp);
    }

    public static SandboxFixture v2(Path tmp) {
        CgroupHost host = Prerequisites.requireCgroup2();
        return new SandboxFixture(host, host.v2(), HierarchyChoice.V2, tmp);
    }

    public static void requireQemu() {
        Prerequisites.require(Files.isExecutable(QEMU), QEMU + " (Debian package qemu-system-x86)");
    }

    public CgroupPath parent() {
        return root.path().child("vmsup");
    }

    public CgroupPath overheadRoot() {
        return root.path().child("kata_overhead");
    }

    public Settings settings(boolean sandboxCgroupOnly) {
        Settings s = new Settings();
        s.qemuPath(QEMU.toString());
        s.accel(Accel.TCG);
        s.paused(true);
        s.memoryMib(128);
        s.vcpus(1);
        s.maxVcpus(4);
        s.serial("none");
        s.sandboxCgroupOnly(sandboxCgroupOnly);
        s.cgroupParent(parent().toString());
        s.overheadCgroup(overheadRoot().toString());
        s.stateDir(tmp.resolve("state").toString());
        s.cgroupHierarchy(choice);
        s.v1Controllers(List.copyOf(IN_PROCESS_V1));
        return s;
    }

    /**
     * The argv of a paused, small {@code vmsup run} under this fixture's test root, with its state in
     * {@code stateDir}.
     */
    public String[] pausedRunArgs(String id, Path stateDir) {
        return new String[] {"run", "--id", id, "--accel", "tcg", "--paused", "--memory", "128", "--serial", "none",
                "--cgroup-parent", parent().toString(), "--overhead-cgroup", overheadRoot().toString(),
                "--state-dir", stateDir.toString()};
    }

    /** Thread id to name, for every thread of {@code pid}. */
    public static Map<Integer, String> threads(long pid) {
        Map<Integer, String> names = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    names.put(Integer.parseInt(t.getFileName().toString()), Files.readString(t.resolve("comm")).strip());
                } catch (IOException gone) {
                    // thread exited while listing
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list threads of " + pid, e);
        }
        return names;
    }

    /** vCPU threads found independently of QMP: {@code comm} is {@code CPU n/TCG} or {@code CPU n/KVM}. */
    public static List<Integer> vcpuThreads(long pid) {
        return threads(pid).entrySet().stream().filter(e -> VCPU_COMM.matcher(e.getValue()).matches())
                .map(Map.Entry::getKey).toList();
    }

    /** Starts a sandbox with QEMU as a child process, torn down at the latest when this fixture closes. */
    public Sandbox start(SupervisorConfig config, Map<String, ContainerResources> containers) {
        return start(config, containers, VmLauncher.PROCESS);
    }

    /** As {@link #start(SupervisorConfig, Map)} with the VM process started by {@code launcher}. */
    public Sandbox start(SupervisorConfig config, Map<String, ContainerResources> containers, VmLauncher launcher) {
        Sandbox s = SandboxStartup.start(config, containers, host, vertx(), launcher, new StopRequest());
        started.add(s);
        return s;
    }

    /** The event loop the fixture's sandboxes (and an API a test starts) run on; closed with the fixture. */
    public synchronized Vertx vertx() {
        if (vertx == null) {
            vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(false).setEventLoopPoolSize(1)
                    .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        }
        return vertx;
    }

    /** Every vCPU thread in the vcpu cgroup, no other QEMU thread there, QEMU and vmsup where the mode says. */
    public void assertPlacement(Sandbox s, int expectedVcpus) {
        CgroupLayout l = s.layout();
        long qemu = s.snapshot().qemuPid();
        List<Integer> vcpus = vcpuThreads(qemu);
        assertThat(vcpus).as("vCPU threads named by QEMU").hasSize(expectedVcpus);
        assertThat(s.snapshot().vcpus()).extracting(VcpuInfo::threadId).containsExactlyInAnyOrderElementsOf(vcpus);
        for (Map.Entry<Integer, String> t : threads(qemu).entrySet()) {
            int tid = t.getKey();
            if (vcpus.contains(tid)) {
                assertThat(hierarchy.isPlaced(l.vcpu(), (int) qemu, tid)).as("%s (tid %d) in %s: %s", t.getValue(), tid,
                        l.vcpu(), hierarchy.placementOf((int) qemu, tid)).isTrue();
            } else {
                assertThat(hierarchy.isPlaced(l.qemu(), (int) qemu, tid)).as("%s (tid %d) in %s: %s", t.getValue(), tid,
                        l.qemu(), hierarchy.placementOf((int) qemu, tid)).isTrue();
            }
        }
        int self = (int) ProcessHandle.current().pid();
        assertThat(hierarchy.isPlaced(l.supervisor(), self, self)).as("vmsup in %s", l.supervisor()).isTrue();
    }

    /**
     * Child cgroups left under the test root's parent and overhead root, in any hierarchy (for tests that run vmsup
     * as a process with every v1 controller), as "controller:root/child".
     */
    public List<String> leftoverSandboxCgroups() {
        List<String> left = new ArrayList<>();
        Map<String, Path> mounts = new TreeMap<>();
        if (host.v1Mounts().isEmpty()) {
            mounts.put("unified", host.unifiedMount());
        } else {
            mounts.putAll(host.v1Mounts());
        }
        mounts.forEach((c, mount) -> {
            Path rootDir = mount.resolve(root.path().relative());
            for (String top : List.of("vmsup", "kata_overhead")) {
                Path dir = rootDir.resolve(top);
                if (Files.isDirectory(dir)) {
                    SubtreeRemover.childDirectories(dir).forEach(child -> left.add(c + ":" + top + "/" + child));
                }
            }
        });
        return left;
    }

    /** Nothing of the sandbox is left: its cgroups are gone, the parent and the overhead root stay. */
    public void assertTornDown(Sandbox s) {
        CgroupLayout l = s.layout();
        assertThat(hierarchy.exists(l.sandbox())).isFalse();
        if (l.overhead() != null) {
            assertThat(hierarchy.exists(l.overhead())).isFalse();
            assertThat(hierarchy.exists(l.overheadRoot())).as("overhead root is never removed").isTrue();
        }
        assertThat(hierarchy.exists(l.parent())).as("parent is never removed").isTrue();
        assertThat(ProcessHandle.of(s.snapshot().qemuPid())).isEmpty();
        assertThat(s.config().qmpSocket()).doesNotExist();
        int self = (int) ProcessHandle.current().pid();
        assertThat(hierarchy.placementOf(self, self)).as("vmsup back where it started").isEqualTo(jvmOrigin);
        assertThat(s.snapshot().state()).isEqualTo(SandboxState.STOPPED);
    }

    @Override
    public void close() {
        started.forEach(Sandbox::teardown);
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.SECONDS).join();
        }
        int self = (int) ProcessHandle.current().pid();
        // a failed test may have left the JVM inside the test root; put it back before removing the root
        Map<String, CgroupPath> now = hierarchy.placementOf(self, self);
        if (now.values().stream().anyMatch(p -> root.path().contains(p))) {
            hierarchy.returnTo(jvmOrigin, self);
        }
        root.close();
    }
}
